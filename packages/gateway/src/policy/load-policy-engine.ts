import { readFile } from 'node:fs/promises';
import { createEngine, type Engine, type EngineLogger, type Evaluator } from '@portcullis/core';
import { createRegoEvaluator, formatDiagnostics, loadFiles, PolicyCompileError } from '@portcullis/rego';
import type { BundleSigningConfig, PolicyConfig } from '../config/gateway-config.js';
import { resolveSecret } from '../config/secret-ref.js';
import { PolicySourceError } from '../errors.js';
import { fetchBundle, startBundlePolling } from './bundle-poller.js';
import { type BundleVerification, verifyBundleSignature } from './bundle-signature.js';

type LocalPolicy = Exclude<PolicyConfig, { kind: 'remote-bundle' }>;

const describe = (err: unknown): string =>
  err instanceof PolicyCompileError ? formatDiagnostics(err.diagnostics) : (err as Error).message;

/**
 * An evaluator for a bundle's bytes (a .tar.gz, or a bare .wasm). With `verification`, the
 * bundle's signature is checked first and nothing of an unverified bundle is compiled or run.
 */
export async function bundleEvaluator(
  bytes: Uint8Array,
  entrypoint: string,
  verification?: BundleVerification,
): Promise<Evaluator> {
  if (verification) await verifyBundleSignature(bytes, verification);
  return createRegoEvaluator({ policy: bytes, entrypoint });
}

/** The configured signing keys, read once at start (they are files or environment variables). */
export async function bundleVerification(signing: BundleSigningConfig): Promise<BundleVerification> {
  const keys: BundleVerification['keys'] = {};
  for (const [id, k] of Object.entries(signing.keys))
    (keys as Record<string, { algorithm: string; key: string }>)[id] = {
      algorithm: k.algorithm,
      key: await resolveSecret(k.key),
    };
  return {
    keys,
    ...(signing.keyId !== undefined ? { keyId: signing.keyId } : {}),
    ...(signing.scope !== undefined ? { scope: signing.scope } : {}),
  };
}

async function localEvaluator(policy: LocalPolicy): Promise<Evaluator> {
  if (policy.kind === 'rego') {
    const files = await loadFiles([policy.path]);
    // Test files are not part of the decision policy.
    const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
    if (sources.length === 0) throw new Error(`no .rego files in ${policy.path}`);
    return createRegoEvaluator({ policy: sources, entrypoint: policy.entrypoint, data: files.data });
  }
  const verification =
    policy.kind === 'bundle' && policy.signing ? await bundleVerification(policy.signing) : undefined;
  return bundleEvaluator(await readFile(policy.path), policy.entrypoint, verification);
}

/**
 * Compiles or loads the configured policy and wraps it in core's engine. A bundle URL is
 * fetched once here (the gateway does not start without a policy), then polled: each new
 * bundle is swapped into the same engine, so open sessions keep running under the new policy.
 * Closing the engine stops the polling.
 */
export async function loadPolicyEngine(policy: PolicyConfig, logger?: EngineLogger): Promise<Engine> {
  if (policy.kind === 'remote-bundle') {
    let verification: BundleVerification | undefined;
    try {
      verification = policy.signing ? await bundleVerification(policy.signing) : undefined;
    } catch (err) {
      throw new PolicySourceError(`cannot read the bundle signing keys: ${(err as Error).message}`, {
        cause: err,
      });
    }
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
      evaluator = await bundleEvaluator(first.bytes, policy.entrypoint, verification);
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
      load: (bytes) => bundleEvaluator(bytes, policy.entrypoint, verification),
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
