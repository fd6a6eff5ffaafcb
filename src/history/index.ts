export {
  parseHistoryFilter,
  parseTimeBound,
  encodeCursor,
  decodeCursor,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  type RawHistoryFilter,
} from './filter.js';
export { subscribeHistory, targetName, toRecord } from './recorder.js';
export { createHistoryStore, type HistoryStore, type HistoryStoreDeps } from './store.js';
export {
  HISTORY_OUTCOMES,
  type HistoryFilter,
  type HistoryOutcome,
  type HistoryPage,
  type HistoryRecord,
  type HistoryApproval,
  type HistoryPause,
} from './types.js';
export { STORY_FIELDS, withStory } from './story.js';
