import type { EngineLogger, Evaluator, ReloadableEngine } from '@portcullis/core';

/** Bundles larger than this are refused rather than buffered. */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a replaced evaluator is kept for decisions that started on it before it is closed. */
const RETIRE_AFTER_MS = 30_000;

export type BundleFetch =
  | { status: 'new'; bytes: Uint8Array; etag: string | undefined }
  | { status: 'unchanged' };

/**
 * One GET of a bundle, conditional on the ETag of the one we have (If-None-Match), as OPA's
 * bundle service protocol does: 304 means keep it, 200 carries a new one.
 */
export async function fetchBundle(url: string, etag: string | undefined): Promise<BundleFetch> {
  const res = await fetch(url, {
    headers: {
      accept: 'application/gzip, application/octet-stream',
      ...(etag !== undefined ? { 'if-none-match': etag } : {}),
    },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    redirect: 'follow',
  });
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 'unchanged' };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > MAX_BUNDLE_BYTES) {
    await res.body?.cancel();
    throw new Error(`the bundle is ${length} bytes, more than the ${MAX_BUNDLE_BYTES} accepted`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_BUNDLE_BYTES)
    throw new Error(`the bundle is more than the ${MAX_BUNDLE_BYTES} bytes accepted`);
  if (bytes.byteLength === 0) throw new Error('the bundle is empty');
  return { status: 'new', bytes, etag: res.headers.get('etag') ?? undefined };
}

export interface BundlePollingOptions {
  url: string;
  /** ETag of the bundle the engine runs now. */
  etag: string | undefined;
  minDelayMs: number;
  maxDelayMs: number;
  /** Builds an evaluator from a downloaded bundle; throws when it does not load. */
  load: (bytes: Uint8Array) => Promise<Evaluator>;
  engine: ReloadableEngine;
  logger?: EngineLogger;
  /** Told of every poll's outcome (tests wait on it). */
  onPoll?: (outcome: 'updated' | 'unchanged' | 'failed', detail?: unknown) => void;
}

export interface BundlePolling {
  /** Polls now instead of waiting for the timer (tests). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Polls a bundle URL after a random delay in [min, max] each time (spreading gateways'
 * requests, as OPA does). A new bundle is loaded first and swapped into the engine only if it
 * loads; sessions keep going and see the new policy at their next statement. Any failure
 * (network, HTTP status, a bundle that does not compile) is logged and the last good policy
 * stays in force.
 */
export function startBundlePolling(options: BundlePollingOptions): BundlePolling {
  const { url, engine, logger } = options;
  let etag = options.etag;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const retiring = new Set<NodeJS.Timeout>();

  const delay = () => options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs);

  async function poll(): Promise<void> {
    let fetched: BundleFetch;
    try {
      fetched = await fetchBundle(url, etag);
    } catch (err) {
      logger?.warn?.({ url, err }, 'policy bundle download failed; keeping the current policy');
      options.onPoll?.('failed', err);
      return;
    }
    if (fetched.status === 'unchanged') {
      options.onPoll?.('unchanged');
      return;
    }
    let next: Evaluator;
    try {
      next = await options.load(fetched.bytes);
    } catch (err) {
      logger?.warn?.({ url, err }, 'policy bundle does not load; keeping the current policy');
      options.onPoll?.('failed', err);
      return;
    }
    if (stopped) {
      await next.close?.();
      return;
    }
    const previous = engine.setEvaluator(next);
    etag = fetched.etag;
    logger?.info?.({ url, etag, generation: engine.generation }, 'policy bundle activated');
    const retire = setTimeout(() => {
      retiring.delete(retire);
      Promise.resolve(previous.close?.()).catch(() => {});
    }, RETIRE_AFTER_MS);
    retire.unref?.();
    retiring.add(retire);
    options.onPoll?.('updated');
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().finally(() => {
        running = undefined;
        schedule();
      });
    }, delay());
    timer.unref?.();
  };
  schedule();

  return {
    async pollNow() {
      if (running) await running;
      clearTimeout(timer);
      running = poll().finally(() => {
        running = undefined;
      });
      await running;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
      for (const t of retiring) clearTimeout(t);
      retiring.clear();
    },
  };
}
