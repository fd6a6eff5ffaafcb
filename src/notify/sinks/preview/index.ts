import { Type } from '@sinclair/typebox';
import { defineSink } from '../../sink.js';

/**
 * The preview: `NOTIFY_PREVIEW=stdout` (or a file) writes, one JSON line each, exactly the
 * requests every configured sink sends, as it sends them; with no sink configured, what Slack
 * would send. It changes nothing else: configured sinks still send. `remediator simulate
 * --notify` prints the same lines for a payload, sending nothing.
 */
export interface PreviewSettings {
  /** `stdout`, or a file the lines are appended to. */
  to: string;
}

export const preview = defineSink<PreviewSettings>({
  name: 'preview',
  title: 'preview: writes what every other sink sends (or Slack would), one JSON line per request',
  variables: {
    NOTIFY_PREVIEW: {
      schema: Type.String({ minLength: 1, maxLength: 4096 }),
      hint: 'stdout, or the path of a file to append one JSON line per request to',
    },
  },
  parse: (v) => (v.NOTIFY_PREVIEW === undefined ? undefined : { to: v.NOTIFY_PREVIEW }),
  secrets: () => [],
  defaults: 'all',
  delivery: { concurrency: 1 },
  create: async (settings, deps) => (await import('./sink.js')).createPreviewSink(settings, deps),
});
