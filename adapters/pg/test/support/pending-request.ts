import type { ApprovalRequest, ApprovalStore } from '@portcullis/core';

/** The id of the pending request `match` picks, once the proxy has filed one (5 s at most). */
export async function pendingRequest(
  store: ApprovalStore,
  match: (request: ApprovalRequest) => boolean,
): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await store.list({ state: 'pending' })).find(match);
    if (found) return found.id;
    if (Date.now() > deadline) throw new Error('no pending request matched');
    await new Promise((r) => setTimeout(r, 20));
  }
}
