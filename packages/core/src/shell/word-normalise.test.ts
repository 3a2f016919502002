import { beforeAll, describe, expect, it } from 'vitest';
import { loadShellParser, parseBash } from './bash-parser.js';
import {
  decodeAnsiC,
  heredocDelimiter,
  normaliseWord,
  unescapeDoubleQuoted,
  unescapeUnquoted,
} from './word-normalise.js';

beforeAll(async () => {
  await loadShellParser();
});

/** The command name word of a one-command line. */
function nameWord(line: string) {
  const tree = parseBash(line)!;
  try {
    const command = tree.rootNode.namedChild(0)!;
    return normaliseWord(command.childForFieldName('name')!, line);
  } finally {
    tree.delete();
  }
}

describe('normaliseWord', () => {
  it.each([
    ["r''m", 'rm'],
    ['r""m', 'rm'],
    ['\\rm', 'rm'],
    ['"r"m', 'rm'],
    ["'rm'", 'rm'],
    ["$'\\x72m'", 'rm'],
    ['"/usr/bin/"rm', '/usr/bin/rm'],
    ['"a\\"b"', 'a"b'],
    ['"a\\nb"', 'a\\nb'],
  ])('%s → %s', (word, value) => {
    const out = nameWord(`${word} x`);
    expect(out.value).toBe(value);
    expect(out.dynamic).toBe(false);
  });

  it('keeps expansions as written and marks the word dynamic', () => {
    const out = nameWord('"$HOME"/bin/x y');
    expect(out).toMatchObject({ value: '$HOME/bin/x', dynamic: true });
  });

  it('marks a substitution dynamic', () => {
    expect(nameWord('$(echo rm) -rf /').dynamic).toBe(true);
    expect(nameWord('`echo rm` -rf /').dynamic).toBe(true);
  });

  it('sees an unquoted glob but not a quoted one', () => {
    expect(nameWord('/bin/r? x').glob).toBe(true);
    expect(nameWord("'/bin/r?' x").glob).toBe(false);
  });
});

describe('quote helpers', () => {
  it('removes backslashes outside quotes, and line continuations', () => {
    expect(unescapeUnquoted('\\r\\m')).toBe('rm');
    expect(unescapeUnquoted('a\\\nb')).toBe('ab');
  });

  it('only unescapes $ ` " \\ and newline inside double quotes', () => {
    expect(unescapeDoubleQuoted('\\$x \\a \\\\')).toBe('$x \\a \\');
  });

  it('decodes ANSI-C escapes', () => {
    expect(decodeAnsiC('\\x72\\155\\t\\u00e9\\cA')).toBe('rm\té\x01');
    expect(decodeAnsiC('\\q')).toBe('\\q');
  });

  it('unquotes heredoc delimiters and reports quoting', () => {
    expect(heredocDelimiter("'EOF'")).toEqual({ target: 'EOF', quoted: true });
    expect(heredocDelimiter('EOF')).toEqual({ target: 'EOF', quoted: false });
  });
});
