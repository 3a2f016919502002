/** Approvals: holding an action for reviewers, and finding the grant when it is run again. */

export type {
  ApprovalRequest,
  ApprovalRequestInput,
  ApprovalState,
  ApprovalStore,
  ApprovalVote,
  FindGrantedQuery,
  VoteInput,
  WaitOptions,
} from './approval-store.js';
export {
  type ApprovalStoreSettings,
  type ApprovalStoreSettingsInput,
  applyVote,
  approvalStoreSettings,
  checkRequestInput,
  expire,
  isDue,
  newRequest,
  type RequestDurations,
} from './approval-transitions.js';
export { parseDuration, tryParseDuration } from './duration.js';
export { toGrantedApproval } from './granted-approval.js';
export { InMemoryApprovalStore, type InMemoryApprovalStoreOptions } from './in-memory-approval-store.js';
export { isAllowedReviewer, reviewerMatches } from './reviewer-match.js';
