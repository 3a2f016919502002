import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CONTRACT_VERSION, type Decision, type InputDocument } from '../contract.js';
import {
  EvaluationError,
  EvaluationTimeoutError,
  InvalidOptionError,
  InvalidRequestError,
  isPortcullisError,
  MalformedDecisionError,
  type PortcullisError,
} from '../errors.js';
import {
  type HttpFactsOptions,
  type ResolvedHttpFactsOptions,
  resolveHttpFactsOptions,
} from '../http/index.js';
import { type BuiltInput, buildInputNow } from '../request/build-input-document.js';
import type { FactExtractors, PolicyRequest } from '../request/index.js';
import { decisionCacheKey } from './cache-key.js';
import { DecisionCache, type DecisionCacheOptions } from './decision-cache.js';
import { publishDecision } from './decision-channel.js';
import type { DecisionResult, EvaluationInfo } from './decision-result.js';
import type { Evaluator } from './evaluator.js';
import { type FailureKind, failureDecision } from './failure-decision.js';
import type { InputPaths } from './input-paths.js';
import type { EngineLogger } from './logger.js';
import { validateDecision } from './validate-decision.js';

export const DEFAULT_TIMEOUT_MS = 1000;

export interface EngineOptions {
  evaluator: Evaluator;
  /** Longest an evaluation may take before the engine denies; default 1000 ms. */
  timeoutMs?: number;
  /** Decision cache; off by default (see decisionCacheKey for what it assumes of the policy). */
  cache?: DecisionCacheOptions | false;
  /** Fact extractors; defaults to the built-in SQL and shell parsers. */
  extractors?: FactExtractors;
  http?: HttpFactsOptions;
  /** Logs nothing unless given. */
  logger?: EngineLogger;
  /** Milliseconds since the epoch; drives the input document's time and the cache TTL. */
  clock?: () => number;
}

export interface Engine {
  /**
   * Build the input document for a request, evaluate it and return the decision. Rejects only
   * with InvalidRequestError, for a request that is not well formed; every other failure is a
   * deny in the result, with `evaluation.error` saying why.
   */
  decide(request: PolicyRequest): Promise<DecisionResult>;
  /** Evaluate an input document the caller built; same guarantees as `decide`. */
  decideInput(input: InputDocument): Promise<DecisionResult>;
  /** Drop every cached decision (after a policy reload, say). */
  clearCache(): void;
  close(): Promise<void>;
  /**
   * The policy generation: 0 at creation, one more after each `setEvaluator` or `invalidate`.
   * A caller that keeps a decision beyond one request (a prepared statement's, say) notes
   * the generation it was made under and decides again once this has moved on. Optional so
   * that wrappers written before it still type-check; a wrapper that leaves it out makes its
   * callers keep their decisions until they expire by other means.
   */
  readonly generation?: number;
  /** Start a new generation without changing the evaluator (data the policy reads changed). */
  invalidate?(): void;
  /**
   * Call `listener` as each new generation starts, before `setEvaluator` or `invalidate`
   * returns, for whoever keeps decisions where they cannot look at `generation` on each use
   * (a native data path, say). Returns the function that stops it. Optional, as `generation`.
   */
  onGeneration?(listener: (generation: number) => void): () => void;
  /**
   * What the current evaluator may read of the input (Evaluator.inputPaths), for callers that
   * keep decisions and could share them between inputs that differ only where it does not
   * read. Undefined when unknown, and a wrapper that leaves it out makes its callers share
   * nothing. Read it with the generation: a new evaluator may read more.
   */
  readonly inputPaths?: InputPaths | undefined;
}

/** What `createEngine` returns: an Engine whose policy can be replaced while it runs. */
export interface ReloadableEngine extends Engine {
  readonly generation: number;
  /**
   * Evaluate with `evaluator` from now on: the cache is cleared and a new generation starts.
   * Decisions already under way finish on the old evaluator (and are not cached); it is
   * returned, not closed, so the caller can close it once those have settled.
   */
  setEvaluator(evaluator: Evaluator): Evaluator;
  invalidate(): void;
  onGeneration(listener: (generation: number) => void): () => void;
}

interface Outcome {
  decision: Decision;
  /** The evaluator that answered, when one did. */
  evaluator?: string;
  generation: number;
  durationMs: number;
  cached: boolean;
  error?: PortcullisError;
  kind?: FailureKind;
}

export function createEngine(options: EngineOptions): ReloadableEngine {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, logger } = validateOptions(options);
  let evaluator = options.evaluator;
  let generation = 0;
  const generationListeners = new Set<(generation: number) => void>();
  const newGeneration = () => {
    generation++;
    for (const listener of generationListeners) {
      try {
        listener(generation);
      } catch (err) {
        logger?.error?.({ err, generation }, 'policy generation listener failed');
      }
    }
  };
  const clock = options.clock ?? Date.now;
  const http: ResolvedHttpFactsOptions = resolveHttpFactsOptions(options.http);
  const cache = options.cache ? new DecisionCache(options.cache, clock) : undefined;
  const buildOptions = { http, clock, ...(options.extractors ? { extractors: options.extractors } : {}) };

  /**
   * Evaluate and validate. Returns the outcome directly when the evaluator answers
   * synchronously (the wasm evaluator does): no promise, timer or extra turn per decision.
   */
  function evaluate(input: InputDocument): Outcome | Promise<Outcome> {
    const startedIn = generation;
    const current = evaluator;
    const cacheKey = cache ? decisionCacheKey(input) : undefined;
    if (cache && cacheKey) {
      const hit = cache.get(cacheKey.key, cacheKey.owner);
      if (hit) return { decision: hit, durationMs: 0, cached: true, generation: startedIn };
    }
    const started = performance.now();
    const context = new LazySignal();
    let answer: unknown;
    try {
      answer = current.evaluate(input, context);
    } catch (err) {
      return evaluationFailed(current, err, performance.now() - started, startedIn);
    }
    if (typeof (answer as PromiseLike<unknown> | null)?.then !== 'function') {
      return settle(current, answer, performance.now() - started, startedIn, cacheKey);
    }
    return raceTimeout(current, answer as PromiseLike<unknown>, context, timeoutMs).then(
      (raw) => settle(current, raw, performance.now() - started, startedIn, cacheKey),
      (err: unknown) => evaluationFailed(current, err, performance.now() - started, startedIn),
    );
  }

  function evaluationFailed(
    current: Evaluator,
    err: unknown,
    durationMs: number,
    startedIn: number,
  ): Outcome {
    if (err instanceof EvaluationTimeoutError)
      return failed('evaluation_timeout', err, durationMs, startedIn);
    const error = isPortcullisError(err)
      ? err
      : new EvaluationError(`evaluator ${current.name} failed: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
        });
    return failed('evaluation_failed', error, durationMs, startedIn);
  }

  /** Validate what the evaluator answered and keep it in the cache. */
  function settle(
    current: Evaluator,
    raw: unknown,
    durationMs: number,
    startedIn: number,
    cacheKey: { key: string; owner: string } | undefined,
  ): Outcome {
    if (raw === undefined) {
      return failed(
        'no_decision',
        new MalformedDecisionError('the policy returned no decision (data.portcullis.decision is undefined)'),
        durationMs,
        startedIn,
      );
    }
    const checked = validateDecision(raw);
    if (!checked.ok) {
      return failed(
        'malformed_decision',
        new MalformedDecisionError(`${checked.path} ${checked.message}`),
        durationMs,
        startedIn,
      );
    }
    // A decision of a policy replaced meanwhile is returned (it was asked for) but not kept.
    if (cache && cacheKey && startedIn === generation)
      cache.set(cacheKey.key, cacheKey.owner, checked.decision);
    return {
      decision: checked.decision,
      durationMs,
      cached: false,
      evaluator: current.name,
      generation: startedIn,
    };
  }

  function failed(
    kind: FailureKind,
    error: PortcullisError,
    durationMs: number,
    decidedIn = generation,
  ): Outcome {
    return {
      decision: failureDecision(kind, error.message),
      durationMs,
      cached: false,
      error,
      kind,
      generation: decidedIn,
    };
  }

  function finish(input: InputDocument, outcome: Outcome, factsMs: number): DecisionResult {
    const evaluation: EvaluationInfo = {
      evaluator: outcome.evaluator ?? evaluator.name,
      durationMs: outcome.durationMs,
      factsMs,
      cached: outcome.cached,
      generation: outcome.generation,
    };
    if (outcome.error) evaluation.error = { code: outcome.error.code, message: outcome.error.message };
    const result: DecisionResult = { id: randomUUID(), decision: outcome.decision, input, evaluation };
    if (outcome.error) {
      logger?.warn?.(
        {
          decisionId: result.id,
          code: outcome.error.code,
          rule: `portcullis.${outcome.kind}`,
          err: outcome.error,
        },
        'policy decision failed closed',
      );
    } else {
      logger?.debug?.(
        {
          decisionId: result.id,
          effect: outcome.decision.effect,
          cached: outcome.cached,
          durationMs: outcome.durationMs,
        },
        'policy decision',
      );
    }
    publishDecision(result);
    return result;
  }

  /** The result for a built input, without a promise when evaluation answered synchronously. */
  function decideBuilt(built: BuiltInput, factsMs: number): DecisionResult | Promise<DecisionResult> {
    if (built.extractionError !== undefined) {
      const err = built.extractionError;
      const error = isPortcullisError(err)
        ? err
        : new EvaluationError(`fact extraction failed: ${err.message}`, { cause: err });
      return finish(built.input, failed('facts_unavailable', error, 0), factsMs);
    }
    const outcome = evaluate(built.input);
    if (outcome instanceof Promise) return outcome.then((o) => finish(built.input, o, factsMs));
    return finish(built.input, outcome, factsMs);
  }

  return {
    // Not `async`: a decision that needs no waiting (HTTP facts, loaded parsers, the wasm
    // evaluator) is made before decide returns, and handed back in one resolved promise.
    decide(request) {
      try {
        const started = performance.now();
        const built = buildInputNow(request, buildOptions);
        if (built instanceof Promise) {
          return built.then((b) => decideBuilt(b, performance.now() - started));
        }
        return Promise.resolve(decideBuilt(built, performance.now() - started));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    decideInput(input) {
      if (typeof input !== 'object' || input === null || input.version !== CONTRACT_VERSION) {
        return Promise.reject(new InvalidRequestError(`input.version: must be ${CONTRACT_VERSION}`));
      }
      try {
        const outcome = evaluate(input);
        if (outcome instanceof Promise) return outcome.then((o) => finish(input, o, 0));
        return Promise.resolve(finish(input, outcome, 0));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    clearCache() {
      cache?.clear();
    },
    get generation() {
      return generation;
    },
    get inputPaths() {
      return evaluator.inputPaths;
    },
    setEvaluator(next) {
      checkEvaluator(next);
      const previous = evaluator;
      evaluator = next;
      cache?.clear();
      newGeneration();
      logger?.info?.({ evaluator: next.name, generation }, 'policy evaluator replaced');
      return previous;
    },
    invalidate() {
      cache?.clear();
      newGeneration();
    },
    onGeneration(listener) {
      generationListeners.add(listener);
      return () => {
        generationListeners.delete(listener);
      };
    },
    async close() {
      cache?.clear();
      await evaluator.close?.();
    },
  };
}

/**
 * Race an evaluator's pending answer against the time limit. A synchronous evaluator that
 * never returns cannot be interrupted from here; the wasm evaluator runs in bounded steps for
 * that reason. An evaluator that answers synchronously needs no race (nothing could interrupt
 * it anyway) and never gets here, and the AbortSignal is made only if the evaluator reads it:
 * on this per-decision path an AbortController and a timer cost more than a small policy's
 * evaluation.
 */
async function raceTimeout(
  evaluator: Evaluator,
  answer: PromiseLike<unknown>,
  context: LazySignal,
  timeoutMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new EvaluationTimeoutError(
        `evaluator ${evaluator.name} did not answer within ${timeoutMs} ms`,
      );
      context.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([answer, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The evaluation context, whose signal is created on first read. */
class LazySignal {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

function checkEvaluator(evaluator: Evaluator): void {
  if (typeof evaluator !== 'object' || evaluator === null || typeof evaluator.evaluate !== 'function') {
    throw new InvalidOptionError('evaluator', 'must have an evaluate(input) method');
  }
  if (typeof evaluator.name !== 'string') throw new InvalidOptionError('evaluator.name', 'must be a string');
}

function validateOptions(options: EngineOptions): EngineOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  const { evaluator, timeoutMs, cache, logger, clock, extractors } = options;
  checkEvaluator(evaluator);
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new InvalidOptionError('timeoutMs', 'must be a positive number of milliseconds');
  }
  if (cache !== undefined && cache !== false) {
    if (typeof cache !== 'object' || cache === null)
      throw new InvalidOptionError('cache', 'must be { maxEntries, ttlMs } or false');
    if (!Number.isSafeInteger(cache.maxEntries) || cache.maxEntries < 1) {
      throw new InvalidOptionError('cache.maxEntries', 'must be a positive integer');
    }
    if (!Number.isFinite(cache.ttlMs) || cache.ttlMs <= 0)
      throw new InvalidOptionError('cache.ttlMs', 'must be a positive number');
  }
  if (logger !== undefined && (typeof logger !== 'object' || logger === null)) {
    throw new InvalidOptionError('logger', 'must be a pino-shaped logger object');
  }
  if (clock !== undefined && typeof clock !== 'function')
    throw new InvalidOptionError('clock', 'must be a function');
  if (
    extractors !== undefined &&
    (typeof extractors?.sql !== 'function' || typeof extractors?.shell !== 'function')
  ) {
    throw new InvalidOptionError('extractors', 'must have sql(raw, dialect) and shell(raw) functions');
  }
  return options;
}
