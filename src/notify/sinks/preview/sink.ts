import { appendFile } from 'node:fs/promises';
import type { Change, Sink, SinkDeps } from '../../sink.js';
import type { PreviewSettings } from './index.js';
import { previewChange, type PreviewState } from './write.js';

/**
 * The preview as a sink: it gets every change on its own durable, ordered queue like any sink,
 * runs each target sink's `deliver` on it without sending, and writes the requests. Lines are
 * scrubbed of this process' secrets (a PagerDuty routing key is in its body) before they leave.
 */
export function createPreviewSink(settings: PreviewSettings, deps: SinkDeps): Sink<PreviewState> {
  const targets = deps.targets ?? [];
  const scrub = deps.scrub ?? ((s: string) => s);
  const out = (text: string): Promise<void> =>
    settings.to === 'stdout'
      ? new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())))
      : appendFile(settings.to, text, 'utf8');

  async function deliver({ episode, seq, event, state, io }: Change<PreviewState>): Promise<void> {
    await previewChange(targets, state, { episode, seq, event }, async (key, line) => {
      await io.call(key, { endpoint: settings.to, headers: {}, body: line });
    });
  }
  return {
    name: 'preview',
    mode: settings.to === 'stdout' ? 'stdout' : 'file',
    initial: () => ({ targets: {} }),
    deliver,
    async send(req) {
      await out(`${scrub(JSON.stringify(req.body))}\n`);
      return {};
    },
    previewAnswer: () => ({}),
  };
}
