import {
  createEngine,
  type Engine,
  isPortcullisError,
  type PolicyRequest,
  parseRequestLine,
} from '@portcullis/core';
import { createRegoEvaluator, formatDiagnostics, loadFiles, PolicyCompileError } from '@portcullis/rego';
import { type CliIo, readLines, writeLine } from './cli-io.js';
import { resolvePolicyPaths } from './policy-paths.js';
import { type RequestFlags, requestFromFlags } from './request-flags.js';

export interface EvalFlags extends RequestFlags {
  jsonl?: boolean;
  policy?: string[];
  entrypoint?: string;
  pretty?: boolean;
}

async function createPolicyEngine(flags: EvalFlags): Promise<Engine> {
  const files = await loadFiles(resolvePolicyPaths(flags.policy));
  // Test files are not part of the decision policy.
  const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
  const evaluator = await createRegoEvaluator({
    policy: sources,
    entrypoint: flags.entrypoint ?? 'portcullis/decision',
    data: files.data,
  });
  return createEngine({ evaluator });
}

/**
 * One decision document per request: effect, reasons, masks, approval. Requests come from the
 * same flags `portcullis facts` takes, or one per line with --jsonl (errors in place, exit 1).
 */
export async function runEval(flags: EvalFlags, io: CliIo): Promise<number> {
  const render = (doc: unknown) => JSON.stringify(doc, null, flags.pretty ? 2 : undefined);
  let engine: Engine;
  try {
    engine = await createPolicyEngine(flags);
  } catch (err) {
    const text =
      err instanceof PolicyCompileError ? formatDiagnostics(err.diagnostics) : (err as Error).message;
    await writeLine(io.stderr, `portcullis eval: ${text}`);
    return 2;
  }

  const decide = async (request: PolicyRequest) => (await engine.decide(request)).decision;
  try {
    if (!flags.jsonl) {
      try {
        await writeLine(io.stdout, render(await decide(requestFromFlags(flags))));
        return 0;
      } catch (err) {
        await writeLine(io.stderr, `portcullis eval: ${(err as Error).message}`);
        return 2;
      }
    }
    let failed = 0;
    let lineNo = 0;
    for await (const line of readLines(io.stdin)) {
      lineNo += 1;
      if (line.trim() === '') continue;
      try {
        await writeLine(io.stdout, render(await decide(parseRequestLine(line))));
      } catch (err) {
        failed += 1;
        const code = isPortcullisError(err) ? err.code : 'PC_INTERNAL';
        await writeLine(
          io.stdout,
          render({ error: { code, message: (err as Error).message, line: lineNo } }),
        );
      }
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await engine.close?.();
  }
}
