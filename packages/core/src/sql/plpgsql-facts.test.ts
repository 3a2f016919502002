import { describe, expect, it } from 'vitest';
import { scanPlpgsql } from './plpgsql-facts.js';

const pieces = (body: string) => scanPlpgsql(body).map((p) => [p.kind, p.sql]);

describe('scanPlpgsql', () => {
  it('returns SQL statements and skips block structure', () => {
    expect(pieces('BEGIN DELETE FROM a; UPDATE b SET x = 1; END')).toEqual([
      ['sql', 'DELETE FROM a'],
      ['sql', 'UPDATE b SET x = 1'],
    ]);
  });

  it('removes PL/pgSQL INTO targets but keeps INSERT INTO', () => {
    expect(
      pieces(
        'BEGIN SELECT a, b INTO STRICT x, y.z FROM t; INSERT INTO t VALUES (1) RETURNING id INTO v; END',
      ),
    ).toEqual([
      ['sql', 'SELECT a, b FROM t'],
      ['sql', 'INSERT INTO t VALUES (1) RETURNING id'],
    ]);
  });

  it('reads conditions, assignments and defaults as expressions', () => {
    expect(
      pieces('DECLARE n int := f(1); BEGIN IF g(n) THEN n := h(n); ELSIF n > 2 THEN NULL; END IF; END'),
    ).toEqual([
      ['expr', 'f(1)'],
      ['expr', 'g(n)'],
      ['expr', 'h(n)'],
      ['expr', 'n > 2'],
    ]);
  });

  it('tells a constant EXECUTE from a built one', () => {
    const [constant, built] = scanPlpgsql(
      "BEGIN EXECUTE 'DROP TABLE t'; EXECUTE 'DROP TABLE ' || x INTO y; END",
    );
    expect(constant).toMatchObject({ kind: 'execute', literal: 'DROP TABLE t' });
    expect(built).toMatchObject({ kind: 'execute', sql: "'DROP TABLE ' || x" });
    expect(built?.literal).toBeUndefined();
  });

  it('reads FOR loops over queries, EXECUTE and ranges', () => {
    expect(
      pieces(
        'BEGIN FOR r IN SELECT * FROM t LOOP END LOOP; FOR r IN EXECUTE q LOOP END LOOP; FOR i IN 1..n LOOP END LOOP; END',
      ),
    ).toEqual([
      ['sql', 'SELECT * FROM t'],
      ['execute', 'q'],
      ['expr', '1'],
      ['expr', 'n'],
    ]);
  });

  it('turns PERFORM into SELECT and reads RETURN QUERY', () => {
    expect(pieces('BEGIN PERFORM pg_sleep(1); RETURN QUERY SELECT 1; END')).toEqual([
      ['sql', 'SELECT pg_sleep(1)'],
      ['sql', 'SELECT 1'],
    ]);
  });

  it('does not split on semicolons inside strings', () => {
    expect(pieces("BEGIN RAISE NOTICE 'a; DROP TABLE x'; END")).toEqual([]);
  });
});
