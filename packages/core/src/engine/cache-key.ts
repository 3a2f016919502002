import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { InputDocument, StatementFacts } from '../contract.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What a cached decision may be reused for. Everything a policy can see goes in, except what
 * varies per request without changing what is done: the session id and the time, and for
 * SQL the statement text and its constants (the fingerprint and the remaining facts stand
 * for it). The one use of `time` the shipped policy makes, whether a granted approval has
 * expired, is keyed too (each approval's liveness at the input's time), so a decision that
 * an approval released is never reused once the approval has run out, whatever the TTL.
 * A policy that reads `time` otherwise, or raw statement text, must not be run with caching on.
 */
export function decisionCacheKey(input: InputDocument): { key: string; owner: string } {
  const { subject, resource, session, action } = input;
  const owner = canonicalJson([subject.id, resource.type, resource.name]);
  const parts = {
    subject: [subject.id, subject.kind, [...subject.groups].sort(), sha256(canonicalJson(subject.claims))],
    resource: [resource.type, resource.name, resource.labels],
    session: [session.source, session.approvals, approvalLiveness(session.approvals, input.time)],
    action: [action.type, actionDigest(input)],
  };
  return { key: sha256(canonicalJson(parts)), owner };
}

function actionDigest({ action }: InputDocument): unknown {
  if (action.sql !== undefined) {
    const sql = action.sql;
    // Unparsed text has no fingerprint; the raw text is then the only safe identity.
    if (!sql.parsed) return ['sql', sql.dialect, 'raw', sha256(sql.raw)];
    return [
      'sql',
      sql.dialect,
      sql.statements.map((s) => s.fingerprint),
      // Fingerprints drop constants, and some constants are facts a policy judges (a COPY
      // PROGRAM command, a role's attributes), so the facts themselves are keyed too.
      sha256(canonicalJson(sql.statements.map(withoutText))),
    ];
  }
  if (action.shell !== undefined) return ['shell', action.shell.raw];
  if (action.http !== undefined) {
    // url stands for scheme, host, port, path and query (all parsed from it and the Host
    // header); body_size is keyed because a body that is not JSON is seen by its size alone.
    const { method, url, headers, body, body_size, body_parse_error, body_too_large } = action.http;
    return [
      'http',
      method,
      url,
      sha256(canonicalJson({ headers, body, body_size, body_parse_error, body_too_large })),
    ];
  }
  if (action.file !== undefined) return ['file', action.file];
  return ['none'];
}

/** Whether each approval is still valid at `time`; an unreadable date counts as expired. */
function approvalLiveness(approvals: InputDocument['session']['approvals'], time: string): boolean[] {
  const now = Date.parse(time);
  return approvals.map((g) => {
    const expires = Date.parse(g.expires_at);
    return Number.isFinite(expires) && Number.isFinite(now) && expires > now;
  });
}

function withoutText(statement: StatementFacts): unknown {
  return { ...statement, text: undefined, inner: statement.inner.map((i) => ({ ...i, text: undefined })) };
}
