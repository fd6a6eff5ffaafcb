export { createStatsWriter, type StatsWriter, type ApplyResult } from './rollup.js';
export { subscribeEffectiveness, type EffectivenessSide } from './subscriber.js';
export { recurrenceVerdict, openForRecurrence } from './feedback.js';
export { createStatsReader, type StatsReader, type StatsQuery } from './reader.js';
export { StatsReportSchema, type StatsReport, type EffectRow, type StepRow, type Timing } from './schema.js';
