/**
 * `network`: repair a container's networking without restarting it. `reconnect` disconnects it
 * from each user network and connects it again with its aliases (a fresh endpoint), taking the
 * networks from its current state, the recorded state (network-state.ts), or Compose (its
 * sibling replicas, else the project's default network); `connect` and `disconnect` name them.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { RefusedError } from '../errors.js';
import { recordNetworks, recordedNetworks, type RecordedNetwork } from './network-state.js';
import { PROJECT_LABEL } from './scale.js';
import { assertOptedIn, readJson, writeJson } from './support.js';
import { defineAction, type ActionContext, type ParamProblem } from './types.js';

const Name = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$' });

export const NetworkParams = Type.Object(
  {
    type: Type.Literal('network'),
    mode: Type.Union([Type.Literal('reconnect'), Type.Literal('connect'), Type.Literal('disconnect')]),
    /** Which networks; for reconnect, a subset of those it had (default: all of them). */
    networks: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 16, uniqueItems: true })),
    /** Aliases on the networks connected (connect only). */
    aliases: Type.Optional(Type.Array(Name, { maxItems: 16, uniqueItems: true })),
    /** Disconnect even when the engine says the endpoint is busy. */
    force: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
type NetworkP = Static<typeof NetworkParams>;

const SERVICE_LABEL = 'com.docker.compose.service';
const NOT_USER = new Set(['none', 'host', 'bridge', 'default']);

function check(p: NetworkP): ParamProblem[] {
  const problems: ParamProblem[] = [];
  if (p.mode !== 'reconnect' && p.networks === undefined)
    problems.push({ path: '/networks', reason: `mode ${p.mode} needs the networks to ${p.mode}` });
  if (p.aliases !== undefined && p.mode !== 'connect')
    problems.push({ path: '/aliases', reason: 'only with mode: connect' });
  (p.networks ?? []).forEach((n, i) => {
    if (NOT_USER.has(n)) problems.push({ path: `/networks/${i}`, reason: `${n} is not a user-defined network` });
  });
  return problems;
}

const list = (p: NetworkP) => (p.networks ? p.networks.join(', ') : 'the networks it had');

/** Networks Compose would give this container: its sibling replicas', else the project's default. */
async function fromCompose(ctx: ActionContext, c: ContainerInfo): Promise<RecordedNetwork[]> {
  const project = c.labels[PROJECT_LABEL];
  const service = c.labels[SERVICE_LABEL];
  if (project === undefined || service === undefined) return [];
  const aliases = [service, c.name];
  const siblings = await ctx.docker.findContainers({ labels: { [PROJECT_LABEL]: project, [SERVICE_LABEL]: service } });
  const seen = new Map<string, RecordedNetwork>();
  for (const s of siblings.filter((s) => s.id !== c.id))
    for (const n of s.networks)
      if (!seen.has(n.name)) seen.set(n.name, { name: n.name, networkId: n.networkId, aliases });
  if (seen.size > 0) return [...seen.values()];
  const nets = await ctx.docker.findNetworks({ [PROJECT_LABEL]: project, 'com.docker.compose.network': 'default' });
  return nets.map((n) => ({ name: n.name, networkId: n.id, aliases }));
}

/** What reconnect puts back, and where that came from. */
async function reconnectSet(
  ctx: ActionContext,
  c: ContainerInfo,
  only: string[] | undefined,
): Promise<{ networks: RecordedNetwork[]; source: string }> {
  const byName = new Map<string, RecordedNetwork>();
  const recorded = await recordedNetworks(ctx.hostState, c.name);
  for (const n of recorded) byName.set(n.name, n);
  for (const n of c.networks)
    byName.set(n.name, { name: n.name, networkId: n.networkId, aliases: n.aliases, ipv4Address: n.ipv4Address });
  let source = c.networks.length > 0 ? 'its current networks' : 'the recorded state';
  if (byName.size === 0) {
    for (const n of await fromCompose(ctx, c)) byName.set(n.name, n);
    source = 'Compose';
  }
  const missing = (only ?? []).filter((n) => !byName.has(n));
  if (missing.length > 0)
    throw new RefusedError(`reconnect: ${c.name} was never seen on ${missing.join(', ')}; use mode: connect`);
  const networks = [...byName.values()].filter((n) => only === undefined || only.includes(n.name));
  if (networks.length === 0)
    throw new RefusedError(`reconnect: ${c.name} is on no user network, none is recorded and Compose names none`);
  return { networks, source };
}

interface ReconnectPlan {
  networks: RecordedNetwork[];
  source: string;
  /** Endpoint id seen just before disconnecting each network ('' when it was not attached). */
  endpoints: Record<string, string>;
}

/** Reconnect one container; a rerun skips a network whose endpoint changed since (already done). */
async function reconnect(ctx: ActionContext, c: ContainerInfo, p: NetworkP): Promise<{ line: string; acted: boolean }> {
  const key = `network:${ctx.attempt}:${c.name}`;
  const remembered = ctx.dryRun ? undefined : await readJson<ReconnectPlan>(ctx.memo, key);
  const plan = remembered ?? { ...(await reconnectSet(ctx, c, p.networks)), endpoints: {} };
  const names = plan.networks.map((n) => n.name).join(', ');
  if (ctx.dryRun) return { line: `would reconnect ${c.name} to ${names} (from ${plan.source})`, acted: false };
  await recordNetworks(ctx.hostState, c);
  if (!remembered) await writeJson(ctx.memo, key, plan);
  for (const n of plan.networks) {
    const cur = c.networks.find((x) => x.name === n.name);
    const seen = plan.endpoints[n.name];
    if (seen !== undefined && cur && cur.endpointId !== seen) continue; // reconnected before the crash
    if (seen === undefined) {
      plan.endpoints[n.name] = cur?.endpointId ?? '';
      await writeJson(ctx.memo, key, plan);
    }
    if (cur) await ctx.docker.disconnectNetwork(c.id, n.name, p.force ?? false);
    await ctx.docker.connectNetwork(c.id, n.name, { aliases: n.aliases, ipv4Address: n.ipv4Address });
    ctx.log.info({ containerId: c.id, container: c.name, network: n.name }, 'network reconnected');
  }
  return { line: `reconnected ${c.name} to ${names} (from ${plan.source})`, acted: true };
}

async function connectOrDisconnect(ctx: ActionContext, c: ContainerInfo, p: NetworkP) {
  const attached = new Set(c.networks.map((n) => n.name));
  const todo = (p.networks ?? []).filter((n) => (p.mode === 'connect' ? !attached.has(n) : attached.has(n)));
  const verb = p.mode === 'connect' ? 'connect' : 'disconnect';
  const prep = p.mode === 'connect' ? 'to' : 'from';
  if (todo.length === 0) return { line: `${c.name} already ${verb}ed ${prep} ${list(p)}`, acted: false };
  if (ctx.dryRun) return { line: `would ${verb} ${c.name} ${prep} ${todo.join(', ')}`, acted: false };
  // What it was on, for a later reconnect, before anything is taken away.
  await recordNetworks(ctx.hostState, c);
  for (const n of todo) {
    if (p.mode === 'connect') await ctx.docker.connectNetwork(c.id, n, { aliases: p.aliases ?? [] });
    else await ctx.docker.disconnectNetwork(c.id, n, p.force ?? false);
    ctx.log.info({ containerId: c.id, container: c.name, network: n }, `network ${verb}ed`);
  }
  return { line: `${verb}ed ${c.name} ${prep} ${todo.join(', ')}`, acted: true };
}

export const network = defineAction(NetworkParams, {
  scope: 'container',
  // Only adding a network leaves what the container serves untouched.
  disruptive: (p) => p.mode !== 'connect',
  check,
  describe: (p, on) =>
    p.mode === 'reconnect'
      ? `reconnect ${on} to ${list(p)} (disconnect, then connect with its aliases)`
      : p.mode === 'connect'
        ? `connect ${on} to ${list(p)}${p.aliases?.length ? ` (aliases ${p.aliases.join(', ')})` : ''}`
        : `disconnect ${on} from ${list(p)}`,
  async run(params, ctx) {
    assertOptedIn(ctx);
    const lines: string[] = [];
    const before: Record<string, string[]> = {};
    const after: Record<string, string[]> = {};
    let changed = false;
    for (const c of ctx.targets) {
      before[c.name] = c.networks.map((n) => n.name);
      const r =
        params.mode === 'reconnect' ? await reconnect(ctx, c, params) : await connectOrDisconnect(ctx, c, params);
      lines.push(r.line);
      changed ||= r.acted;
      after[c.name] = r.acted ? (await ctx.docker.inspect(c.id)).networks.map((n) => n.name) : before[c.name]!;
    }
    return {
      summary: lines.join('; '),
      changed,
      details: { mode: params.mode, networks: after },
      before,
      after: ctx.dryRun ? undefined : after,
    };
  },
});
