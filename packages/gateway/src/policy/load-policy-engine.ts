import { readFile } from 'node:fs/promises';
import { createEngine, type Engine, type EngineLogger, type Evaluator } from '@portcullis/core';
import { createRegoEvaluator, formatDiagnostics, loadFiles, PolicyCompileError } from '@portcullis/rego';
import type { PolicyConfig } from '../config/gateway-config.js';
import { PolicySourceError } from '../errors.js';
import { fetchBundle, startBundlePolling } from './bundle-poller.js';

type LocalPolicy = Exclude<PolicyConfig, { kind: 'remote-bundle' }>;

const describe = (err: unknown): string =>
  err instanceof PolicyCompileError ? formatDiagnostics(err.diagnostics) : (err as Error).message;

/** An evaluator for a bundle's bytes (a .tar.gz, or a bare .wasm). */
export async function bundleEvaluator(bytes: Uint8Array, entrypoint: string): Promise<Evaluator> {
  return createRegoEvaluator({ policy: bytes, entrypoint });
}

async function localEvaluator(policy: LocalPolicy): Promise<Evaluator> {
  if (policy.kind === 'rego') {
    const files = await loadFiles([policy.path]);
    // Test files are not part of the decision policy.
    const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
    if (sources.length === 0) throw new Error(`no .rego files in ${policy.path}`);
    return createRegoEvaluator({ policy: sources, entrypoint: policy.entrypoint, data: files.data });
  }
  return bundleEvaluator(await readFile(policy.path), policy.entrypoint);
}

/**
 * Compiles or loads the configured policy and wraps it in core's engine. A bundle URL is
 * fetched once here (the gateway does not start without a policy), then polled: each new
 * bundle is swapped into the same engine, so open sessions keep running under the new policy.
 * Closing the engine stops the polling.
 */
export async function loadPolicyEngine(policy: PolicyConfig, logger?: EngineLogger): Promise<Engine> {
  if (policy.kind === 'remote-bundle') {
    let first: Awaited<ReturnType<typeof fetchBundle>>;
    try {
      first = await fetchBundle(policy.url, undefined);
      if (first.status !== 'new') throw new Error('the server answered 304 to a request without an ETag');
    } catch (err) {
      throw new PolicySourceError(
        `cannot fetch the policy bundle at ${policy.url}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    let evaluator: Evaluator;
    try {
      evaluator = await bundleEvaluator(first.bytes, policy.entrypoint);
    } catch (err) {
      throw new PolicySourceError(`cannot load the policy bundle from ${policy.url}: ${describe(err)}`, {
        cause: err,
      });
    }
    const engine = createEngine({ evaluator, ...(logger ? { logger } : {}) });
    const polling = startBundlePolling({
      url: policy.url,
      etag: first.etag,
      minDelayMs: policy.polling.minDelayMs,
      maxDelayMs: policy.polling.maxDelayMs,
      load: (bytes) => bundleEvaluator(bytes, policy.entrypoint),
      engine,
      ...(logger ? { logger } : {}),
    });
    return {
      decide: (request) => engine.decide(request),
      decideInput: (input) => engine.decideInput(input),
      clearCache: () => engine.clearCache(),
      get generation() {
        return engine.generation;
      },
      invalidate: () => engine.invalidate(),
      async close() {
        await polling.stop();
        await engine.close();
      },
    };
  }
  try {
    const evaluator = await localEvaluator(policy);
    return createEngine({ evaluator, ...(logger ? { logger } : {}) });
  } catch (err) {
    throw new PolicySourceError(`cannot load the ${policy.kind} policy at ${policy.path}: ${describe(err)}`, {
      cause: err,
    });
  }
}
