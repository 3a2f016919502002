import type { GrantedApproval } from '../contract.js';
import { ApprovalStateError } from '../errors.js';
import type { ApprovalRequest } from './approval-store.js';

/** The `session.approvals[]` entry for an approved request, so the policy can let the re-run pass. */
export function toGrantedApproval(request: ApprovalRequest): GrantedApproval {
  if (request.state !== 'approved' || request.valid_until === undefined) {
    throw new ApprovalStateError(`approval ${request.id} is ${request.state}, not approved`);
  }
  const granted: GrantedApproval = {
    id: request.id,
    scope: request.scope,
    approved_by: request.votes.filter((v) => v.decision === 'approve').map((v) => v.reviewer),
    expires_at: request.valid_until,
  };
  if (request.fingerprint !== undefined) granted.fingerprint = request.fingerprint;
  return granted;
}
