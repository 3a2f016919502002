import type { Decision, InputDocument } from '../../src/index.js';

export const MASKS: Decision['masks'] = [
  { path: '$..ssn', strategy: 'redact' },
  { detector: 'email', strategy: 'redact' },
  { detector: 'credit_card', strategy: 'partial', keep: 4 },
];

/**
 * The HTTP adapters' test policy (fetch and http share it): DELETE needs an ops reviewer, /forbidden is denied, everything else is
 * allowed with personal data masked. Every input is recorded for the assertions.
 */
export function testPolicy(seen: InputDocument[] = []) {
  return (input: InputDocument): Decision => {
    seen.push(input);
    const http = input.action.http!;
    if (http.path === '/forbidden') {
      return {
        effect: 'deny',
        reasons: [{ rule: 'http.forbidden', message: 'nobody goes there' }],
        masks: [],
      };
    }
    if (http.method === 'DELETE') {
      return {
        effect: 'approve',
        reasons: [{ rule: 'http.delete_needs_review', message: 'deletes need ops' }],
        masks: [],
        approval: { reviewers: ['group:ops'], quorum: 1, scope: 'statement', ttl: '5m' },
      };
    }
    return { effect: 'allow', reasons: [], masks: MASKS };
  };
}
