import { describe, expect, it } from 'vitest';
import { lexSql, statementEnd } from './sql-lexer.js';

const kinds = (text: string, options = { postgres: true }) =>
  lexSql(text, options).map((t) => `${t.kind}:${t.value}`);

describe('lexSql', () => {
  it('keeps semicolons inside strings, quoted names, comments and dollar quotes', () => {
    const text = `SELECT 'a;b', "x;y", $t$ ; $t$ /* ; /* ; */ ; */ -- ;\n;`;
    const semis = lexSql(text, { postgres: true }).filter((t) => t.kind === 'semicolon');
    expect(semis.map((t) => t.start)).toEqual([text.length - 1]);
  });

  it('reads doubled quotes and E-string backslashes', () => {
    expect(kinds("'it''s' E'a\\'b' x")).toEqual(["string:it's", 'word:e', "string:a\\'b", 'word:x']);
  });

  it('tells numbers, ranges and parameters apart', () => {
    expect(kinds('1..10 1.5 $1 2e3')).toEqual([
      'number:1',
      'op:..',
      'number:10',
      'number:1.5',
      'param:$1',
      'number:2e3',
    ]);
  });

  it('reads MySQL strings with backslashes and # comments', () => {
    expect(kinds(`'a\\';b' # c ;\n"d"`, { mysqlStrings: true } as never)).toEqual([
      "string:a\\';b",
      'string:d',
    ]);
  });

  it('reads [bracketed] names only when asked', () => {
    expect(kinds('[a b]', { brackets: true } as never)).toEqual(['qident:a b']);
    expect(kinds('a[1]')).toEqual(['word:a', 'op:[', 'number:1', 'op:]']);
  });

  it('runs an unterminated string or comment to the end', () => {
    expect(kinds("SELECT 'abc")).toEqual(['word:select', 'string:abc']);
    expect(kinds('SELECT /* x')).toEqual(['word:select']);
  });

  it('finds the end of a statement at depth 0', () => {
    const toks = lexSql('f(a; b); c', { postgres: true });
    expect(statementEnd(toks, 0)).toBe(toks.findIndex((t, i) => t.kind === 'semicolon' && i > 4));
  });
});
