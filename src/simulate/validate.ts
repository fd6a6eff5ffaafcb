import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebhookPayloadSchema, type WebhookPayload } from '../alertmanager/schema.js';
import { InvalidPayloadError } from '../errors.js';

// Compiled once: the same schema the webhook validates with (date-time is registered there).
const checker = TypeCompiler.Compile(WebhookPayloadSchema);

/** Validate a parsed body; throws {@link InvalidPayloadError} with the first bad field. */
export function validatePayload(value: unknown, source = 'payload'): WebhookPayload {
  if (checker.Check(value)) return value;
  const first = checker.Errors(value).First();
  throw new InvalidPayloadError(
    source,
    first?.path ?? '',
    (first?.message ?? 'not an Alertmanager webhook payload').replace(/^Expected/, 'expected'),
  );
}

/** Parse JSON text (a file or stdin) and validate it as a webhook payload. */
export function parsePayload(text: string, source: string): WebhookPayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidPayloadError(source, '', `not JSON: ${(err as Error).message}`);
  }
  return validatePayload(value, source);
}
