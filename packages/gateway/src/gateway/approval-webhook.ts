import type { ApprovalRequest, ApprovalStore } from '@portcullis/core';

export interface WebhookOptions {
  url: string;
  /** Link to the approvals page for a request. */
  approveUrl: (id: string) => string;
  onError: (err: unknown) => void;
  timeoutMs?: number;
}

/** A Slack-compatible incoming-webhook body (`text`, plus `blocks` for clients that render them). */
export function webhookPayload(request: ApprovalRequest, link: string): unknown {
  const reasons = request.reasons.map((r) => `• ${r.rule}: ${r.message}`).join('\n');
  const text = `Approval needed: ${request.subject} on ${request.resource} (${request.id})\n${request.summary}\n${reasons}\nReview: ${link}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*Approval needed* for *${request.subject}* on *${request.resource}*` },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '```' + request.summary.slice(0, 2900) + '```' } },
      { type: 'section', text: { type: 'mrkdwn', text: reasons || '(no reasons given)' } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `<${link}|Review ${request.id}> · reviewers ${request.reviewers.join(', ')}`,
          },
        ],
      },
    ],
    portcullis: { approval: request },
  };
}

/**
 * The store, posting every new request to a webhook. Delivery is best-effort and off the
 * statement's path: a slow or failing webhook never delays or fails the hold itself.
 */
export function withWebhook(store: ApprovalStore, options: WebhookOptions): ApprovalStore {
  const post = (request: ApprovalRequest) => {
    fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhookPayload(request, options.approveUrl(request.id))),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    })
      .then((res) => {
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
      })
      .catch(options.onError);
  };
  return {
    async request(input) {
      const request = await store.request(input);
      post(request);
      return request;
    },
    get: (id) => store.get(id),
    vote: (id, vote) => store.vote(id, vote),
    findGranted: (q) => store.findGranted(q),
    waitFor: (id, o) => store.waitFor(id, o),
    list: (f) => store.list(f),
  };
}
