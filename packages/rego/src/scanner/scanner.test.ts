import { describe, expect, it } from 'vitest';
import { scan } from './scanner.js';
import { decodeStringBody } from './string-literal.js';

const kinds = (source: string) => scan(source).tokens.map((t) => t.kind);
const texts = (source: string) => scan(source).tokens.map((t) => t.text);

describe('scan', () => {
  it('tells keywords from identifiers', () => {
    expect(
      kinds('package import as default else not some with if contains every in true false null x _y z9'),
    ).toEqual([
      'package',
      'import',
      'as',
      'default',
      'else',
      'not',
      'some',
      'with',
      'if',
      'contains',
      'every',
      'in',
      'true',
      'false',
      'null',
      'ident',
      'ident',
      'ident',
      'eof',
    ]);
  });

  it('reads every operator, longest match first', () => {
    const ops = ':= = == != < <= > >= + - * / % & | . , ; : [ ] { } ( )';
    expect(texts(ops).slice(0, -1)).toEqual(ops.split(' '));
    expect(texts('a:=b==c!=d<=e>=f')).toEqual([
      'a',
      ':=',
      'b',
      '==',
      'c',
      '!=',
      'd',
      '<=',
      'e',
      '>=',
      'f',
      '',
    ]);
  });

  it('keeps number literals verbatim', () => {
    const tokens = scan('0 12 3.25 1e10 2.5E-3 6e+2').tokens;
    expect(tokens.filter((t) => t.kind === 'number').map((t) => t.text)).toEqual([
      '0',
      '12',
      '3.25',
      '1e10',
      '2.5E-3',
      '6e+2',
    ]);
    expect(tokens.every((t) => t.error === undefined)).toBe(true);
  });

  it('leaves a dot after a number to the ref (x[1].y) and flags malformed numbers', () => {
    expect(texts('x[1].y')).toEqual(['x', '[', '1', ']', '.', 'y', '']);
    expect(texts('1.a')).toEqual(['1', '.', 'a', '']);
    expect(scan('0a2b').tokens[0]).toMatchObject({
      kind: 'number',
      text: '0a2b',
      error: 'illegal number format',
    });
    expect(scan('1e').tokens[0]).toMatchObject({ kind: 'number', error: 'expected exponent' });
  });

  it('decodes string escapes, including surrogate pairs', () => {
    const [t] = scan(String.raw`"a\"b\\c\/d\be\ff\ng\rh\ti\u00e9\ud83d\ude00"`).tokens;
    expect(t?.kind).toBe('string');
    expect(t?.value).toBe('a"b\\c/d\be\ff\ng\rh\ti\u00e9\u{1f600}');
  });

  it('replaces unpaired surrogates as Go does and rejects bad escapes', () => {
    expect(decodeStringBody(String.raw`\ud800x`)).toEqual({ ok: true, value: '\ufffdx' });
    expect(decodeStringBody(String.raw`\udc00`)).toEqual({ ok: true, value: '\ufffd' });
    expect(decodeStringBody(String.raw`\q`)).toEqual({ ok: false });
    expect(decodeStringBody(String.raw`\u12`)).toEqual({ ok: false });
    expect(scan(String.raw`"\x"`).tokens[0]).toMatchObject({
      kind: 'string',
      error: String.raw`illegal string literal: "\x"`,
    });
  });

  it('reports unterminated strings', () => {
    expect(scan('"abc\n"').tokens[0]).toMatchObject({ kind: 'illegal', error: 'non-terminated string' });
    expect(scan('"abc\\').tokens[0]).toMatchObject({ kind: 'illegal', error: 'non-terminated string' });
    expect(scan('`abc').tokens[0]).toMatchObject({ kind: 'illegal', error: 'non-terminated raw string' });
  });

  it('keeps raw strings verbatim across lines and counts rows through them', () => {
    const { tokens } = scan('x := `a\\n\nb`\ny');
    const raw = tokens[2];
    expect(raw).toMatchObject({ kind: 'raw-string', value: 'a\\n\nb', row: 1, col: 6 });
    expect(tokens[3]).toMatchObject({ text: 'y', row: 3, col: 1, newlineBefore: true });
  });

  it('records row, column, offset and the blanks before each token', () => {
    const { tokens } = scan('p if {\n\tx[1] # note\n  y }');
    const byText = new Map(tokens.map((t) => [t.text, t]));
    expect(byText.get('p')).toMatchObject({
      row: 1,
      col: 1,
      offset: 0,
      spaceBefore: false,
      newlineBefore: false,
    });
    expect(byText.get('x')).toMatchObject({
      row: 2,
      col: 2,
      offset: 8,
      spaceBefore: true,
      newlineBefore: true,
    });
    expect(byText.get('[')).toMatchObject({ spaceBefore: false });
    expect(byText.get('y')).toMatchObject({ row: 3, col: 3, newlineBefore: true });
    expect(byText.get('}')).toMatchObject({ spaceBefore: true, newlineBefore: false });
  });

  it('collects comments without tokens for them, treating CRLF as a line break', () => {
    const { tokens, comments } = scan('# head\r\np := 1 # tail\r\n');
    expect(comments.map((c) => [c.text, c.row, c.col])).toEqual([
      [' head', 1, 1],
      [' tail', 2, 8],
    ]);
    expect(tokens.map((t) => t.text)).toEqual(['p', ':=', '1', '']);
    expect(tokens[0]?.newlineBefore).toBe(true);
  });

  it('marks characters outside the language as illegal tokens and carries on', () => {
    expect(kinds('a ~ b é')).toEqual(['ident', 'illegal', 'ident', 'illegal', 'eof']);
    expect(kinds('a ! b')).toEqual(['ident', 'illegal', 'ident', 'eof']);
  });

  it('ends with exactly one eof, positioned after the last character', () => {
    const { tokens } = scan('a\n');
    expect(tokens.at(-1)).toMatchObject({ kind: 'eof', row: 2, col: 1, offset: 2, newlineBefore: true });
    expect(scan('').tokens).toHaveLength(1);
  });

  it('scans large input in linear time', () => {
    const big = 'p contains x if { x := "abc\\n"; y := [1, 2.5e3, `raw`] } # c\n'.repeat(20_000);
    const started = performance.now();
    const { tokens } = scan(big);
    expect(tokens.length).toBeGreaterThan(350_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
