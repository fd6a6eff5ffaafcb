// Scenario 2b, seed 004's recovery targets for the actions remediator gained with the seed
// runbooks: webhook POST -> job completed, the fix verified (the container running), for
//   - a resource update (cpu_throttling's fix: one live `docker update` of the CPU shares),
//     target 0.777 s;
//   - a network reconnect (network_failure's fix: the container, which lost its Compose
//     network, connected to it again), target 0.967 s;
// each beside the raw dockerode call the action makes, in the same run, interleaved one for one.
// (Prune, disk_full's fix with its 0.891 s target, is measured in overhead.ts.) The fault is
// put back between runs with untimed calls straight to dockerd.
import { alertBody, fingerprint } from '../lib/payloads.js';
import { summarize, type Row } from '../lib/stats.js';
import { e2eRow } from './overhead.js';
import { deliver, timed, type Rig, type Trace } from './rig.js';

const UPDATE = /\/containers\/[^/]+\/update/;
const CONNECT = /\/networks\/[^/]+\/connect/;
const optIn = { 'remediator.enable': 'true' };

export async function recovery(rig: Rig): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { ctx, p } = rig;
  const runs = ctx.settings.e2eRuns;
  const project = `${p}rec`;
  process.stdout.write(
    `[bench] recovery: ${runs} resource updates and ${runs} network reconnects, each against raw dockerode\n`,
  );

  // A noisy batch container with default CPU shares (1024): the fix gives it 512.
  const noisy = `${p}noisy`;
  await (
    await ctx.docker.createContainer({
      name: noisy,
      Image: 'remediator-test/busybox:1',
      Cmd: ['sleep', '3600'],
      Labels: optIn,
      HostConfig: { Init: true, NetworkMode: 'none', CpuShares: 1024 },
    })
  ).start();
  const rawNoisy = ctx.rawDocker.getContainer(noisy);
  const reset = () => ctx.docker.getContainer(noisy).update({ CpuShares: 1024 });
  const updates: Trace[] = [];
  const rawUpdate: number[] = [];
  for (let i = 0; i < runs; i++) {
    rawUpdate.push(await timed(() => rawNoisy.update({ CpuShares: 512 })));
    await reset();
    updates.push(await deliver(rig, alertBody('cpu_throttling', { container: noisy }, fingerprint(0xc9, i)), UPDATE));
    await reset();
  }

  // A gateway on its Compose project's default network (an internal user bridge: no traffic
  // leaves the host); reconnect finds the network from the project's labels.
  const network = `${project}_default`;
  await ctx.docker.createNetwork({
    Name: network,
    Internal: true,
    Labels: { 'com.docker.compose.project': project, 'com.docker.compose.network': 'default' },
  });
  const gateway = `${p}gateway`;
  await (
    await ctx.docker.createContainer({
      name: gateway,
      Image: 'remediator-test/busybox:1',
      Cmd: ['sleep', '3600'],
      Labels: { ...optIn, 'com.docker.compose.project': project, 'com.docker.compose.service': 'gateway' },
      HostConfig: { Init: true, NetworkMode: network },
    })
  ).start();
  const lose = () => ctx.docker.getNetwork(network).disconnect({ Container: gateway });
  const rawNet = ctx.rawDocker.getNetwork(network);
  const reconnects: Trace[] = [];
  const rawConnect: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await lose();
      rawConnect.push(await timed(() => rawNet.connect({ Container: gateway })));
      await lose();
      reconnects.push(
        await deliver(
          rig,
          alertBody('network_failure', { container: gateway, probe: 'network' }, fingerprint(0x9e7, i)),
          CONNECT,
        ),
      );
    }
  } finally {
    await ctx.docker
      .getContainer(gateway)
      .remove({ force: true })
      .catch(() => undefined);
    await ctx.docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
  }

  const updateE2e = summarize(updates.map((t) => t.done));
  const reconnectE2e = summarize(reconnects.map((t) => t.done));
  const rawUpdateS = summarize(rawUpdate);
  const rawConnectS = summarize(rawConnect);
  const calls = (ts: Trace[]) => summarize(ts.map((t) => t.actionEnd - t.actionStart));
  return {
    rows: [
      e2eRow('resource update, verified running', updateE2e, rawUpdateS, 777),
      e2eRow('network reconnect, verified running', reconnectE2e, rawConnectS, 967),
    ],
    data: {
      resourceUpdate: { e2e: updateE2e, updateCall: calls(updates), rawUpdate: rawUpdateS },
      networkReconnect: { e2e: reconnectE2e, connectCall: calls(reconnects), rawConnect: rawConnectS },
    },
  };
}
