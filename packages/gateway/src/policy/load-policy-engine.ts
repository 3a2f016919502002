import { readFile } from 'node:fs/promises';
import { createEngine, type Engine, type EngineLogger } from '@portcullis/core';
import { createRegoEvaluator, formatDiagnostics, loadFiles, PolicyCompileError } from '@portcullis/rego';
import type { PolicyConfig } from '../config/gateway-config.js';
import { PolicySourceError } from '../errors.js';

/** Compiles or loads the configured policy and wraps it in core's engine. */
export async function loadPolicyEngine(policy: PolicyConfig, logger?: EngineLogger): Promise<Engine> {
  try {
    let evaluator: Awaited<ReturnType<typeof createRegoEvaluator>>;
    if (policy.kind === 'rego') {
      const files = await loadFiles([policy.path]);
      // Test files are not part of the decision policy.
      const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
      if (sources.length === 0) throw new Error(`no .rego files in ${policy.path}`);
      evaluator = await createRegoEvaluator({
        policy: sources,
        entrypoint: policy.entrypoint,
        data: files.data,
      });
    } else {
      evaluator = await createRegoEvaluator({
        policy: await readFile(policy.path),
        entrypoint: policy.entrypoint,
      });
    }
    return createEngine({ evaluator, ...(logger ? { logger } : {}) });
  } catch (err) {
    const detail =
      err instanceof PolicyCompileError ? formatDiagnostics(err.diagnostics) : (err as Error).message;
    throw new PolicySourceError(`cannot load the ${policy.kind} policy at ${policy.path}: ${detail}`, {
      cause: err,
    });
  }
}
