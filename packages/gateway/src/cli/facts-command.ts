import {
  buildInputDocument,
  isPortcullisError,
  type PolicyRequest,
  parseRequestLine,
} from '@portcullis/core';
import { type CliIo, readLines, writeLine } from './cli-io.js';
import { type RequestFlags, requestFromFlags } from './request-flags.js';

export interface FactsFlags extends RequestFlags {
  jsonl?: boolean;
  pretty?: boolean;
}

function errorRecord(err: unknown, line?: number): Record<string, unknown> {
  const code = isPortcullisError(err) ? err.code : 'PC_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code, message, ...(line !== undefined ? { line } : {}) } };
}

/**
 * Prints the input document a policy would see. With --jsonl, one output line per input line,
 * in order, so outputs line up with inputs; a bad line yields an error record in its place
 * and the exit code says some line failed, but the rest are still processed.
 */
export async function runFacts(flags: FactsFlags, io: CliIo): Promise<number> {
  const render = (doc: unknown) => JSON.stringify(doc, null, flags.pretty ? 2 : undefined);

  if (!flags.jsonl) {
    let request: PolicyRequest;
    try {
      request = requestFromFlags(flags);
      const doc = await buildInputDocument(request);
      await writeLine(io.stdout, render(doc));
      return 0;
    } catch (err) {
      await writeLine(io.stderr, `portcullis facts: ${(err as Error).message}`);
      return 2;
    }
  }

  let failed = 0;
  let lineNo = 0;
  for await (const line of readLines(io.stdin)) {
    lineNo += 1;
    if (line.trim() === '') continue;
    try {
      const doc = await buildInputDocument(parseRequestLine(line));
      await writeLine(io.stdout, render(doc));
    } catch (err) {
      failed += 1;
      await writeLine(io.stdout, render(errorRecord(err, lineNo)));
      await writeLine(io.stderr, `portcullis facts: line ${lineNo}: ${(err as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
