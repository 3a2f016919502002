/**
 * Shell facts: what a shell line would run, read from a real bash grammar (tree-sitter-bash)
 * and unwrapped through sudo, env, xargs, find -exec, `sh -c` and the like, so a policy can
 * judge every command a line runs rather than its first word.
 */

import type { ShellFacts } from '../contract.js';
import { loadShellParser } from './bash-parser.js';
import { extractShellFactsSync } from './shell-facts.js';

export { loadShellParser } from './bash-parser.js';
export { extractShellFactsSync } from './shell-facts.js';

/** Loads the grammar on first use, then extracts. */
export async function extractShellFacts(raw: string): Promise<ShellFacts> {
  await loadShellParser();
  return extractShellFactsSync(raw);
}
