// A SinkIO that records every request instead of sending it, answering as `answer` says, and a
// helper that runs a sink over a list of lifecycle events the way the delivery does.
import type { LifecycleEvent } from '../../../src/lifecycle/events.js';
import { threadOf } from '../../../src/notify/contract.js';
import { wants, type SinkFilter } from '../../../src/notify/policy.js';
import type { Answer, Outgoing, Sink, SinkIO } from '../../../src/notify/sink.js';

export interface Recorded {
  seq: number;
  key: string;
  req: Outgoing;
}

export function recordingIO(answer: (req: Outgoing, n: number) => Answer = () => ({})) {
  const sent: Recorded[] = [];
  let seq = 0;
  const io = (s: number): SinkIO => ({
    async call(key, req) {
      sent.push({ seq: s, key, req });
      return answer(req, sent.length);
    },
  });
  return { sent, io, next: () => ++seq };
}

/** Run `sink` over `events` of one episode as its delivery would (the notifier's filter first). */
export async function runSink(
  sink: Sink,
  filter: SinkFilter,
  events: LifecycleEvent[],
  answer?: (req: Outgoing, n: number) => Answer,
): Promise<{ sent: Recorded[]; state: unknown }> {
  const rec = recordingIO(answer ?? ((req, n) => sink.previewAnswer(req, String(n))));
  const state = sink.initial();
  for (const event of events) {
    const policy = wants(filter, event);
    if (!policy) continue;
    const seq = rec.next();
    await sink.deliver({ episode: threadOf(event.data), seq, event, policy, state, io: rec.io(seq) });
  }
  return { sent: rec.sent, state };
}
