import type { ApprovalRequest } from '@portcullis/core';
import { escapeHtml as e } from './http-helpers.js';

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
pre{margin:0;white-space:pre-wrap;max-width:32rem}form{display:inline}button{margin-right:.3rem}
.flash{padding:.5rem;background:#fee;border:1px solid #c99}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(message?: string): string {
  return layout(
    'Portcullis approvals: sign in',
    `<h1>Portcullis approvals</h1>${message ? `<p class="flash">${e(message)}</p>` : ''}
<form method="post" action="/approvals/login"><label>Reviewer API key <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form>`,
  );
}

function reasons(r: ApprovalRequest): string {
  return r.reasons.map((x) => `<div><code>${e(x.rule)}</code> ${e(x.message)}</div>`).join('');
}

/** Pending requests with approve and deny buttons, then the most recent decided ones. */
export function approvalsPage(
  reviewer: string,
  pending: ApprovalRequest[],
  history: ApprovalRequest[],
  flash?: string,
): string {
  const rows = pending
    .map(
      (
        r,
      ) => `<tr data-id="${e(r.id)}"><td><code>${e(r.id)}</code><br>${e(r.created_at)}</td><td>${e(r.subject)}${
        r.requester !== r.subject ? `<br><small>for ${e(r.requester)}</small>` : ''
      }</td><td>${e(r.resource)}</td><td><pre>${e(r.summary)}</pre></td><td>${reasons(r)}</td>
<td>${e(r.reviewers.join(', '))} (quorum ${r.quorum})<br><small>waits until ${e(r.expires_at)}</small></td>
<td><form method="post" action="/approvals/${encodeURIComponent(r.id)}/approve"><button type="submit" name="decision" value="approve">Approve</button></form>
<form method="post" action="/approvals/${encodeURIComponent(r.id)}/deny"><button type="submit" name="decision" value="deny">Deny</button></form></td></tr>`,
    )
    .join('');
  const past = history
    .map(
      (r) =>
        `<tr data-id="${e(r.id)}"><td><code>${e(r.id)}</code></td><td>${e(r.state)}</td><td>${e(r.subject)}</td><td>${e(r.resource)}</td><td><pre>${e(
          r.summary,
        )}</pre></td><td>${e(r.votes.map((v) => `${v.reviewer}: ${v.decision}${v.comment ? ` (${v.comment})` : ''}`).join(', '))}</td><td>${e(r.decided_at ?? '')}</td></tr>`,
    )
    .join('');
  return layout(
    'Portcullis approvals',
    `<h1>Portcullis approvals</h1><p>Signed in as <strong>${e(reviewer)}</strong>.</p>
${flash ? `<p class="flash" role="alert">${e(flash)}</p>` : ''}
<h2>Pending</h2>${
      pending.length === 0
        ? '<p id="none-pending">Nothing is waiting for approval.</p>'
        : `<table id="pending"><thead><tr><th>request</th><th>subject</th><th>resource</th><th>statement</th><th>reasons</th><th>reviewers</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    }
<h2>History</h2><table id="history"><thead><tr><th>request</th><th>state</th><th>subject</th><th>resource</th><th>statement</th><th>votes</th><th>decided</th></tr></thead><tbody>${past}</tbody></table>`,
  );
}
