import type { WebhookPayload } from '../alertmanager/schema.js';
import { simulate, type SimulateDeps } from './plan.js';
import type { SimulationReport } from './types.js';
export { simulate, type SimulateDeps, type SimulateReads } from './plan.js';
export { createSimulateReads } from './reads.js';
export { parsePayload, validatePayload } from './validate.js';
export type * from './types.js';

/** A simulator bound to its dependencies, as the HTTP route and the CLI use it. */
export type Simulator = (payload: WebhookPayload) => Promise<SimulationReport>;

export const createSimulator =
  (deps: SimulateDeps): Simulator =>
  (payload) =>
    simulate(payload, deps);
