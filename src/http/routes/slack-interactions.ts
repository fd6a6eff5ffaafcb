import type { FastifyPluginAsync } from 'fastify';
import type { RedisClient } from '../../redis.js';
import { APPROVAL_ID_RULE } from '../../guards/approvals.js';
import type { Operator } from '../../guards/operator.js';
import { globalKeys } from '../../keys.js';
import { APPROVE_ACTION, DENY_ACTION } from '../../notify/sinks/slack/approval-blocks.js';
import { SLACK_TOLERANCE_SECONDS, verifySlackRequest } from '../slack-signature.js';

/**
 * POST /slack/interactions: Slack's Request URL for interactivity, where the Approve / Deny
 * buttons of a thread land. Every request is verified with the app's signing secret over the
 * raw body (SLACK_SIGNING_SECRET), its timestamp must be within five minutes, and a signature
 * is taken once (a replay is refused): 401 for all three, and nothing is answered.
 */

export interface SlackInteractionDeps {
  signingSecret: string;
  /** For the replay check (`{global}` key per signature, kept past the timestamp window). */
  redis: RedisClient;
  prefix: string;
  operator: Pick<Operator, 'answer'>;
  now?: () => number;
}

interface BlockActions {
  type?: string;
  user?: { id?: string; username?: string; name?: string };
  actions?: { action_id?: string; value?: string }[];
}

export const slackInteractionRoutes =
  (deps: SlackInteractionDeps): FastifyPluginAsync =>
  async (app) => {
    const now = deps.now ?? Date.now;
    // The signature is over the exact bytes: keep the body as Slack sent it (form-encoded).
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 256 * 1024 },
      (_req, body, done) => done(null, body),
    );

    app.post('/slack/interactions', async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const signature = header('x-slack-signature');
      const verdict = verifySlackRequest({
        secret: deps.signingSecret,
        timestamp: header('x-slack-request-timestamp'),
        signature,
        body,
        nowMs: now(),
      });
      if (!verdict.ok) {
        req.log.warn({ reason: verdict.reason }, 'slack interaction refused');
        return reply.code(401).send({ error: 'unauthorized', message: `slack request refused (${verdict.reason})` });
      }
      const fresh = await deps.redis.set(
        globalKeys(deps.prefix).slackSeen(signature!),
        '1',
        'EX',
        2 * SLACK_TOLERANCE_SECONDS,
        'NX',
      );
      if (fresh !== 'OK') {
        req.log.warn({ reason: 'replay' }, 'slack interaction refused');
        return reply.code(401).send({ error: 'unauthorized', message: 'slack request refused (replay)' });
      }
      let payload: BlockActions;
      try {
        payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '') as BlockActions;
      } catch {
        return reply.code(400).send({ error: 'bad request', message: 'expected a form field "payload" holding JSON' });
      }
      const action = payload.actions?.[0];
      const decision =
        action?.action_id === APPROVE_ACTION ? 'approve' : action?.action_id === DENY_ACTION ? 'deny' : undefined;
      // Anything else from this app (another button, a shortcut) is acknowledged and left alone.
      if (payload.type !== 'block_actions' || !decision) return reply.code(200).send({ result: 'ignored' });
      const id = action?.value ?? '';
      if (!APPROVAL_ID_RULE.test(id)) return reply.code(400).send({ error: 'bad request', message: 'no approval id' });
      const user = payload.user ?? {};
      const who = user.username ?? user.name ?? 'someone';
      const by = `${who} (Slack ${user.id ?? '?'})`;
      const { result, approval } = await deps.operator.answer(id, decision, {
        by,
        at: now(),
        reason: decision === 'approve' ? 'approved in Slack' : 'denied in Slack',
        via: 'slack',
      });
      req.log.info({ approval: id, decision, by, result }, 'slack approval answered');
      // Slack wants a 200 within 3 s; the thread itself shows the outcome.
      return reply.code(200).send({ result, approval: id, state: approval?.state });
    });
  };
