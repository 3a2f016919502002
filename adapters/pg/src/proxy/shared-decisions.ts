/**
 * Decisions shared between a proxy's sessions. A session remembers its own decisions
 * (decision-memo.ts), but each new session starts empty, so every session of an agent that
 * connects per task parses and judges its statements again. Two sessions whose inputs differ
 * only where the policy never reads would be judged alike: this keeps one memo for the whole
 * proxy, keyed by what the policy reads of the session's side of the input.
 *
 * What a session's key holds: for every input path the engine says its policy may read
 * (`engine.inputPaths`, which the Rego compiler works out) under `subject`, `resource` or
 * `session`, the session's value there. A policy that may read the session's id or start time
 * (or all of `session`, or the whole input), or an engine that cannot say what its policy
 * reads, gives no key, and that session shares nothing. Sessions with live approvals share
 * nothing either. `action` and `time` are left out as the per-session memo leaves them out
 * (the statement text is the memo's key; see decision-memo.ts for what that assumes).
 *
 * Entries live as long as the per-session memo's and go when the policy generation moves on.
 */
import {
  canonicalJson,
  type DecisionResult,
  type Engine,
  type InputPaths,
  type NormalizedRequest,
} from '@portcullis/core';
import { type DecisionCacheOptions, DecisionMemo } from './decision-memo.js';

/** The session's side of the input document, as the engine builds it. */
export interface SessionInputParts {
  readonly subject: NormalizedRequest['subject'];
  readonly resource: NormalizedRequest['resource'];
  readonly session: { readonly id: string; readonly started_at: string; readonly source: string };
}

/**
 * Session fields that differ between any two sessions: a policy reading one tells them apart.
 * Keyed, they would only make keys no other session has; giving no key says so sooner.
 */
const PER_SESSION = new Set(['id', 'started_at']);

/**
 * The key `parts` shares decisions under for a policy reading `paths`, or undefined when the
 * policy can tell this session from every other.
 */
export function shareKey(paths: InputPaths | undefined, parts: SessionInputParts): string | undefined {
  if (paths === undefined) return undefined;
  const read: unknown[] = [];
  for (const path of paths) {
    const [root, field] = path;
    if (root === undefined) return undefined;
    if (root === 'session') {
      if (field === undefined || PER_SESSION.has(field)) return undefined;
      // Shared only between sessions without live approvals, so every such session reads [].
      if (field === 'approvals') continue;
    } else if (root !== 'subject' && root !== 'resource') {
      continue;
    }
    const value = valueAt(parts, path);
    // Wrapped, so that a missing value and a null one key differently.
    read.push([path, value === undefined ? [] : [value]]);
  }
  try {
    return canonicalJson(read);
  } catch {
    return undefined;
  }
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let at = root;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key))
      return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export class SharedDecisions {
  private readonly memo: DecisionMemo;
  private generation = 0;

  constructor(
    options: DecisionCacheOptions,
    private readonly engine: Engine,
    now: () => number = Date.now,
  ) {
    this.memo = new DecisionMemo(options, now);
  }

  get size(): number {
    return this.memo.size;
  }

  /**
   * What the engine's current policy may read of the input; undefined (share nothing) for an
   * engine that does not count generations, whose policy could change without this memo, or
   * a session's key, noticing.
   */
  inputPaths(): InputPaths | undefined {
    return this.engine.generation === undefined ? undefined : this.engine.inputPaths;
  }

  /**
   * A decision a session with `key` made on `sql`, if one is kept. `generation`: the policy
   * generation the key was worked out under; a key from an older one finds nothing.
   */
  get(sql: string, key: string, generation: number): DecisionResult | undefined {
    this.sync();
    if (generation !== this.generation) return undefined;
    return this.memo.get(sql, key);
  }

  /** Keep a session's decision, made under `generation`, for the others with its key. */
  remember(sql: string, key: string, result: DecisionResult, generation: number): void {
    this.sync();
    // Decided under a policy that has since been replaced: it is no one's to share.
    if (generation !== this.generation) return;
    this.memo.remember(sql, key, result);
  }

  clear(): void {
    this.memo.clear();
  }

  private sync(): void {
    const current = this.engine.generation ?? 0;
    if (current !== this.generation) {
      this.memo.clear();
      this.generation = current;
    }
  }
}
