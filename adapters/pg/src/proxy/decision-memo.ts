/**
 * Per-session memory of decisions already made, so a statement the policy has judged is not
 * parsed and evaluated again. Everything the policy sees is fixed for a session (subject,
 * resource, source, session id) except the statement text, the session's live approvals and
 * the time; the key is the first two, so only a policy that reads the time beyond approval
 * expiry (which changes the approvals part of the key) or the raw text of a statement under
 * a template hit could tell the difference. Entries live `ttlMs`, which bounds how long a
 * policy reload takes to reach an open session.
 *
 * Two levels:
 * 1. The exact text. Safe for any statement.
 * 2. A template: the text with its numeric constants replaced, for texts whose lexing is
 *    unambiguous (no quotes, dollar signs, backslashes, comments or non-ASCII), and only
 *    when the statements judged were plain reads and writes whose facts cannot depend on a
 *    number (no COPY, role, EXPLAIN, dynamic or nested SQL). `-M simple` clients such as
 *    pgbench send the same statement with a different key on every call; this is what
 *    lets them skip the parser.
 *
 * Failures are never remembered (a failed evaluation, an approval the policy asks for).
 */

import type { Decision, DecisionResult, StatementFacts } from '@portcullis/core';

export interface DecisionCacheOptions {
  /** Entries per session (the oldest evicted first). */
  maxEntries: number;
  /** How long a decision is reused: the longest a policy reload waits to reach a session. */
  ttlMs: number;
  /**
   * Entries of the memo the proxy's sessions share (shared-decisions.ts), for as long as
   * `ttlMs`: a session may take a decision another session made, when the policy reads
   * nothing that tells the two apart. 0 shares nothing. Default 4096. Only the per-session
   * memo reads `maxEntries`, and this memo reads only this.
   */
  sharedEntries?: number;
}

/** `sharedEntries` when not given. */
export const DEFAULT_SHARED_ENTRIES = 4096;

export const DEFAULT_DECISION_CACHE: DecisionCacheOptions = { maxEntries: 256, ttlMs: 5000 };

interface Entry {
  result: DecisionResult;
  expiresAt: number;
}

/** Kinds whose facts (tables, columns, functions, operators, has_where) no numeric constant can change. */
const TEMPLATE_KINDS = new Set(['select', 'insert', 'update', 'delete']);

/** Longest text given a template; longer texts are keyed by their exact text only. */
const TEMPLATE_MAX_LENGTH = 4096;

/** Characters that may sit next to a number inside one token: `[A-Za-z0-9_.]`. */
function joinsNumber(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x2e
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The text with its numeric constants replaced, or undefined when that would not be safe.
 * Safe means lexically unambiguous text (ASCII printable, tab, CR and LF only, with nothing
 * that opens a string, quoted identifier, dollar quote, parameter, escape or comment: no
 * `'`, `"`, `$`, `\`, `--` or `/*`), and a numeric constant standing alone: digits with an
 * optional fraction, not joined to an identifier (`t1`), a qualified name or a number with
 * an exponent or radix prefix (`1e5`, `0x1f`, tokenised differently between PostgreSQL
 * versions), so replacing it cannot change how the text is tokenised. One pass over the
 * text: it runs for every statement of a `-M simple` client such as pgbench.
 */
export function numericTemplate(sql: string): string | undefined {
  const n = sql.length;
  if (n > TEMPLATE_MAX_LENGTH) return undefined;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c > 0x7e) return undefined;
    if (c === 0x27 || c === 0x22 || c === 0x24 || c === 0x5c) return undefined;
    if ((c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) || (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a))
      return undefined;
    if (!isDigit(c) || (i > 0 && joinsNumber(sql.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    // A number starts here: digits, then a fraction only when digits follow the point.
    let end = i + 1;
    while (end < n && isDigit(sql.charCodeAt(end))) end++;
    if (sql.charCodeAt(end) === 0x2e && isDigit(sql.charCodeAt(end + 1))) {
      end += 2;
      while (end < n && isDigit(sql.charCodeAt(end))) end++;
    }
    // Digits and points are checked characters; a joined character is checked next turn.
    if (end >= n || !joinsNumber(sql.charCodeAt(end))) {
      out += `${sql.slice(copied, i)}?`;
      copied = end;
    }
    i = end;
  }
  if (copied === 0) return undefined;
  return out + sql.slice(copied);
}

function templateEligible(statements: readonly StatementFacts[]): boolean {
  if (statements.length === 0) return false;
  for (const s of statements) {
    if (!TEMPLATE_KINDS.has(s.type) || s.dynamic || s.opaque || s.inner.length > 0) return false;
    if (s.copy !== undefined || s.role !== undefined || s.explain !== undefined) return false;
  }
  return true;
}

export class DecisionMemo {
  /** By exact text (prefixed with the approvals key when there are approvals). */
  private readonly exact = new Map<string, Entry>();
  /** By numeric template, likewise. */
  private readonly templates = new Map<string, Entry>();

  constructor(
    private readonly options: DecisionCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.exact.size + this.templates.size;
  }

  /** `approvals`: a key for the session's live approvals ('' for none). */
  get(sql: string, approvals: string): DecisionResult | undefined {
    // Without approvals (nearly always) the text itself is the key: building a joined key
    // string per statement costs more than the lookup. A key with approvals starts with NUL,
    // which no statement text can hold (it arrives as a C string).
    const exact = this.lookup(approvals === '' ? sql : `\0${approvals}\0${sql}`, this.exact);
    if (exact) return exact;
    const template = numericTemplate(sql);
    if (template === undefined) return undefined;
    return this.lookup(approvals === '' ? template : `\0${approvals}\0${template}`, this.templates);
  }

  /**
   * The entry a native lane may key `sql` by (with no approvals), as `get` would answer it
   * with `decision` and no other: its numeric template's when there is one, else its exact
   * text's, with when it expires (this memo's clock). Undefined when neither holds that
   * decision, so the lane never answers a text otherwise than the memo would.
   */
  laneKey(
    sql: string,
    decision: Decision,
  ): { key: string; template: boolean; expiresAt: number } | undefined {
    const now = this.now();
    const exact = this.exact.get(sql);
    const exactHolds = exact !== undefined && exact.expiresAt > now;
    // `get` answers the text itself by its exact entry first: it must say the same.
    if (exactHolds && exact.result.decision !== decision) return undefined;
    const template = numericTemplate(sql);
    const byTemplate = template === undefined ? undefined : this.templates.get(template);
    if (
      template !== undefined &&
      byTemplate &&
      byTemplate.expiresAt > now &&
      byTemplate.result.decision === decision
    )
      return { key: template, template: true, expiresAt: byTemplate.expiresAt };
    if (exactHolds) return { key: sql, template: false, expiresAt: exact.expiresAt };
    return undefined;
  }

  remember(sql: string, approvals: string, result: DecisionResult): void {
    const { decision, evaluation, input } = result;
    if (evaluation.error !== undefined) return;
    if (decision.effect !== 'allow' && decision.effect !== 'deny') return;
    const expiresAt = this.now() + this.options.ttlMs;
    this.store(approvals === '' ? sql : `\0${approvals}\0${sql}`, { result, expiresAt }, this.exact);
    const facts = input.action.sql;
    if (facts?.parsed && templateEligible(facts.statements)) {
      const template = numericTemplate(sql);
      if (template !== undefined)
        this.store(
          approvals === '' ? template : `\0${approvals}\0${template}`,
          { result, expiresAt },
          this.templates,
        );
    }
  }

  clear(): void {
    this.exact.clear();
    this.templates.clear();
  }

  private lookup(key: string, entries: Map<string, Entry>): DecisionResult | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.result;
  }

  private store(key: string, entry: Entry, entries: Map<string, Entry>): void {
    entries.delete(key);
    entries.set(key, entry);
    // Each map holds at most maxEntries, so the whole memo stays within twice that.
    if (entries.size > this.options.maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }
}
