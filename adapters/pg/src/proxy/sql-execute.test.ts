import { describe, expect, it } from 'vitest';
import { executedName, preparedStatementQuery, preparedText } from './sql-execute.js';

describe('executedName', () => {
  it('names the statement a lone EXECUTE of literals runs', () => {
    expect(executedName("EXECUTE getColumnACLs('6100')")).toBe('getcolumnacls');
    expect(executedName('  execute "Mixed Case"(1, NULL, true) ;')).toBe('Mixed Case');
    expect(executedName('EXECUTE "a""b"')).toBe('a"b');
    expect(executedName("EXECUTE p(-1.5, 'it''s')")).toBe('p');
  });
  it('refuses arguments that read anything, and EXECUTE beside other statements', () => {
    expect(executedName('EXECUTE p((SELECT email FROM users LIMIT 1))')).toBeUndefined();
    expect(executedName('EXECUTE p(lower(current_user))')).toBeUndefined();
    expect(executedName("EXECUTE p(current_setting('x'))")).toBeUndefined();
    expect(executedName('EXECUTE p(1); DELETE FROM users')).toBeUndefined();
    expect(executedName('EXECUTE p(1')).toBeUndefined();
    expect(executedName('EXPLAIN EXECUTE p')).toBeUndefined();
    // An operator (the user's own could read a table) or a cast is evaluated, not a literal.
    expect(executedName("EXECUTE p('x' ||| 'y')")).toBeUndefined();
    expect(executedName("EXECUTE p('x'::evil)")).toBeUndefined();
    expect(executedName('EXECUTE p(current_user)')).toBeUndefined();
    expect(executedName("EXECUTE p(E'x')")).toBeUndefined();
    expect(executedName('EXECUTE p /* note */ (1)')).toBeUndefined();
  });
});

describe('preparedText', () => {
  it('finds the PREPARE of this name in the query string it came in', async () => {
    const text = 'PREPARE a(int) AS SELECT $1; PREPARE "B x" AS DELETE FROM t; SELECT 1';
    expect(await preparedText('a', [['a', text]])).toBe('SELECT $1');
    expect(await preparedText('B x', [['B x', text]])).toBe('DELETE FROM t');
  });
  it("takes a protocol-level statement's text as it is", async () => {
    expect(await preparedText('s1', [['s1', 'SELECT email FROM users WHERE id = $1']])).toBe(
      'SELECT email FROM users WHERE id = $1',
    );
  });
  it('gives up where it would have to guess', async () => {
    expect(await preparedText('a', [])).toBeUndefined();
    expect(
      await preparedText('a', [
        ['a', 'PREPARE a AS SELECT 1'],
        ['a', 'PREPARE a AS SELECT 2'],
      ]),
    ).toBeUndefined();
    expect(await preparedText('a', [['b', 'PREPARE a AS SELECT 1']])).toBeUndefined();
    // The same name twice (the second failed on the server): which one ran is not known here.
    expect(
      await preparedText('a', [['a', 'PREPARE a AS SELECT 1; PREPARE a AS DELETE FROM t']]),
    ).toBeUndefined();
    // A query string that prepared other names only.
    expect(await preparedText('a', [['a', 'PREPARE b AS SELECT 1; SELECT 2']])).toBeUndefined();
    expect(await preparedText('a', [['a', 'not sql at all (']])).toBeUndefined();
    expect(await preparedText('a', [['a', null]])).toBeUndefined();
  });
});

describe('preparedStatementQuery', () => {
  it('passes the name hex-encoded and qualifies what it calls', () => {
    const q = preparedStatementQuery("x'; DROP TABLE t; --");
    expect(q).not.toContain('DROP');
    expect(q).toContain(Buffer.from("x'; DROP TABLE t; --").toString('hex'));
    expect(q).toContain('OPERATOR(pg_catalog.=)');
  });
});
