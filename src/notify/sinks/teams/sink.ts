import { createPerChangeSink } from '../../per-change.js';
import type { Sink } from '../../sink.js';
import { teamsMessage } from './card.js';
import type { TeamsSettings } from './index.js';

/** The Teams sink: an Adaptive Card whenever the episode's state moves on. */
export const createTeamsSink = (settings: TeamsSettings): Sink =>
  createPerChangeSink({
    name: 'teams',
    mode: 'adaptive-card',
    endpoint: 'POST TEAMS_WEBHOOK_URL',
    url: settings.url,
    what: 'Teams webhook',
    render: teamsMessage,
  }) as Sink;
