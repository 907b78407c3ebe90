// Public surface of milestones: what the pledge flow, /milestones and the app's startup import.
export {
  CAMPAIGN_MILESTONES,
  crossedThresholds,
  nextThreshold,
  normalizeThresholds,
  previousThreshold,
  reachedThresholds,
} from './thresholds.js';
export {
  MilestoneOutbox,
  MilestoneStateError,
  DEFAULT_MAX_ATTEMPTS,
  entryId,
  milestoneNonce,
  scopeKey,
  type ChangeInput,
  type DecideInput,
  type DecideResult,
  type MilestoneOutboxOptions,
  type MilestoneScope,
  type MilestoneLevels,
  type OutboxEntry,
  type OutboxEntryData,
  type OutboxOutcome,
  type PostFailure,
} from './outbox.js';
export {
  MilestoneDispatcher,
  classifyPostError,
  type DispatchOutbox,
  type DispatchReport,
  type MilestoneDispatcherOptions,
  type PostResult,
  type SetTimer,
  type TimerHandle,
} from './dispatcher.js';
export { buildAnnouncement, type Announcement } from './announce.js';
export { milestonesStrings, type MilestonesStrings } from './strings.js';
export {
  createMilestones,
  milestonesOverviewMessage,
  type CountChangeLike,
  type Milestones,
  type MilestonesOptions,
  type OverviewInput,
} from './service.js';
