import { postJson } from './http.js';
import type { Change, Sink } from './sink.js';
import { summarize, type EpisodeSummary } from './summary.js';
import { applyEvent, initialView, stateMoved, type ThreadView } from './view.js';

/**
 * A sink for chat webhooks that cannot edit a message (Teams, Mattermost): it folds the
 * episode's events into the view and posts one new message whenever the state a reader sees
 * moved on (queued, running, retrying n, an outcome, resolved). The sink gives only its
 * message's format and where it posts.
 */
export interface PerChangeState {
  view: ThreadView;
  /** A message of this episode was posted (an alert resolved without one posts nothing). */
  posted: boolean;
}

export interface PerChangeOptions {
  name: string;
  mode: string;
  /** The request's endpoint as the preview shows it (the variable's name, never the URL). */
  endpoint: string;
  url: string;
  /** The sink's name in errors. */
  what: string;
  render(summary: EpisodeSummary, mention: string | undefined): Record<string, unknown>;
}

export function createPerChangeSink(o: PerChangeOptions): Sink<PerChangeState> {
  async function deliver({ episode, event, policy, state, io }: Change<PerChangeState>): Promise<void> {
    const { view, changed } = applyEvent(state.view, event);
    // The first message of an episode is whatever state it is in; then one per state change.
    const post = state.posted ? stateMoved(state.view, view) : changed && event.type !== 'alert.resolved';
    if (post) {
      await io.call('message', {
        endpoint: o.endpoint,
        headers: { 'content-type': 'application/json' },
        body: o.render(summarize(view, event, episode), policy.mention),
      });
      state.posted = true;
    }
    state.view = view;
  }
  return {
    name: o.name,
    mode: o.mode,
    initial: () => ({ view: initialView(), posted: false }),
    deliver,
    async send(req) {
      const res = await postJson(o.url, req, o.what);
      return { status: res.status };
    },
    previewAnswer: () => ({ status: 200 }),
  };
}
