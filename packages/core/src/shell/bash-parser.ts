/**
 * Loads the bash grammar (tree-sitter-bash compiled to wasm) into web-tree-sitter once per
 * process and hands out syntax trees. Loading is asynchronous because both wasm modules are
 * compiled at run time; parsing afterwards is synchronous.
 */

import { createRequire } from 'node:module';
import type { Node, Parser as ParserType, Tree } from 'web-tree-sitter';
import { ShellParserUnavailableError } from '../errors.js';

export type { Node, Tree };

/** A parse that runs longer than this is abandoned and reported as a parse error (fail closed). */
const PARSE_BUDGET_MS = 10_000;

let parser: ParserType | undefined;
let loading: Promise<void> | undefined;

/**
 * Resolves the grammar through the package resolver so the file is found wherever npm hoisted
 * it, in a workspace checkout and in an installed package alike.
 */
function grammarPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('tree-sitter-bash/tree-sitter-bash.wasm');
}

async function load(): Promise<void> {
  try {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const language = await Language.load(grammarPath());
    const created = new Parser();
    created.setLanguage(language);
    parser = created;
  } catch (cause) {
    throw new ShellParserUnavailableError(
      'could not load the bash grammar (tree-sitter-bash on web-tree-sitter)',
      {
        cause,
      },
    );
  }
}

/** Loads the grammar; later calls return the same promise. A failed load may be retried. */
export function loadShellParser(): Promise<void> {
  if (parser !== undefined) return Promise.resolve();
  if (loading === undefined) {
    loading = load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  }
  return loading;
}

export function isShellParserLoaded(): boolean {
  return parser !== undefined;
}

/**
 * Parses one piece of shell text. Returns null when the parse ran over its time budget. The
 * caller owns the tree and must `delete()` it: trees live in wasm memory, not on the JS heap.
 */
export function parseBash(source: string): Tree | null {
  if (parser === undefined) {
    throw new ShellParserUnavailableError('the bash grammar is not loaded: await loadShellParser() first');
  }
  const started = performance.now();
  // A cancelled parse leaves the parser mid-document; reset so the next parse starts clean.
  const tree = parser.parse(source, null, {
    progressCallback: () => performance.now() - started > PARSE_BUDGET_MS,
  });
  if (tree === null) parser.reset();
  return tree;
}
