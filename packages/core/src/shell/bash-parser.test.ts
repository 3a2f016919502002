import { describe, expect, it } from 'vitest';
import { ShellParserUnavailableError } from '../errors.js';
import { isShellParserLoaded, loadShellParser, parseBash } from './bash-parser.js';
import { extractShellFactsSync } from './shell-facts.js';

describe('bash parser loading', () => {
  // Runs first in a fresh module: nothing has loaded the grammar yet.
  it('refuses to extract before the grammar is loaded', () => {
    expect(isShellParserLoaded()).toBe(false);
    expect(() => extractShellFactsSync('ls')).toThrow(ShellParserUnavailableError);
    expect(() => parseBash('ls')).toThrow(ShellParserUnavailableError);
  });

  it('loads once, however often it is asked', async () => {
    await Promise.all([loadShellParser(), loadShellParser()]);
    await loadShellParser();
    expect(isShellParserLoaded()).toBe(true);
    const tree = parseBash('echo hi');
    expect(tree?.rootNode.type).toBe('program');
    tree?.delete();
  });
});
