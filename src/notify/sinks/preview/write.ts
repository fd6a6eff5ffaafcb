import type { LifecycleEvent } from '../../../lifecycle/events.js';
import type { Answer, Outgoing, PreviewTarget, SinkIO } from '../../sink.js';

/**
 * What the preview writes, and how it runs a sink without sending: the sink's own `deliver`,
 * with an IO that hands each request to `write` and answers as the sink says its API would.
 * The same code path as a real delivery up to the wire, so what is written is what is sent.
 */

/** One line of the preview: one request of one sink. */
export interface PreviewLine {
  preview: string;
  episode: string;
  transition: LifecycleEvent['type'];
  at: string;
  endpoint: string;
  headers: Record<string, string>;
  /** As sent; a body sent as text (signed) is shown parsed: it was sent as JSON.stringify of this. */
  body: unknown;
}

export function lineOf(sink: string, episode: string, event: LifecycleEvent, req: Outgoing): PreviewLine {
  let body = req.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* not JSON: shown as the text it is */
    }
  }
  return {
    preview: sink,
    episode,
    transition: event.type,
    at: new Date(event.at).toISOString(),
    endpoint: req.endpoint,
    headers: req.headers,
    body,
  };
}

/** Per target sink, its state of the episode, as its real delivery would keep it. */
export type PreviewState = { targets: Record<string, unknown> };

/**
 * Run one change of an episode through every target that would get it. `write` gets each
 * line with a key unique within the change (so a retried change writes nothing twice).
 */
export async function previewChange(
  targets: readonly PreviewTarget[],
  state: PreviewState,
  change: { episode: string; seq: number; event: LifecycleEvent },
  write: (key: string, line: PreviewLine) => Promise<void>,
): Promise<void> {
  for (const t of targets) {
    const policy = t.wants(change.event);
    if (!policy) continue;
    const name = t.sink.name;
    if (!(name in state.targets)) state.targets[name] = t.sink.initial();
    let k = 0;
    const io: SinkIO = {
      async call(key: string, req: Outgoing): Promise<Answer> {
        k++;
        await write(`${name}.${key}`, lineOf(name, change.episode, change.event, req));
        return t.sink.previewAnswer(req, `${change.seq}.${k}`);
      },
    };
    await t.sink.deliver({ ...change, policy, state: state.targets[name], io });
  }
}
