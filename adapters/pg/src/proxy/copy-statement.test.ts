import { describe, expect, test } from 'vitest';
import { parenthesised, parseCopyStatement } from './copy-statement.js';

describe('parseCopyStatement', () => {
  test('defaults per format', async () => {
    expect(await parseCopyStatement('COPY users TO STDOUT')).toMatchObject({
      options: { format: 'text', delimiter: '\t', null: '\\N', header: false },
      relation: { names: ['users'], columns: [] },
    });
    expect(await parseCopyStatement('copy public."Users" (id, "E") to stdout csv')).toMatchObject({
      options: { format: 'csv', delimiter: ',', null: '', quote: '"', escape: '"' },
      relation: { names: ['public', 'Users'], columns: ['id', 'E'] },
    });
  });

  test('options in both spellings', async () => {
    const modern = await parseCopyStatement(
      `COPY users TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';', QUOTE '''', ESCAPE '\\', NULL 'nil', FORCE_QUOTE *)`,
    );
    expect(modern).toMatchObject({
      options: { format: 'csv', delimiter: ';', quote: "'", escape: '\\', null: 'nil', header: true },
    });
    const legacy = await parseCopyStatement(`COPY users TO STDOUT CSV HEADER DELIMITER AS '|' QUOTE AS '$'`);
    expect(legacy).toMatchObject({ options: { format: 'csv', delimiter: '|', quote: '$', escape: '$' } });
    expect(await parseCopyStatement('COPY users TO STDOUT (FORMAT binary)')).toMatchObject({
      options: { format: 'binary' },
    });
    expect(await parseCopyStatement('COPY users TO STDOUT (HEADER off)')).toMatchObject({
      options: { header: false },
    });
  });

  test('what cannot be pinned down is a reason', async () => {
    expect(await parseCopyStatement("COPY users TO STDOUT (ENCODING 'latin1')")).toMatch(/UTF-8/);
    expect(await parseCopyStatement('COPY users TO STDOUT (FORMAT xml)')).toMatch(/format/);
    expect(await parseCopyStatement('COPY users TO STDOUT; SELECT 1')).toMatch(/single COPY/);
    expect(await parseCopyStatement('COPY users TO')).toMatch(/parse/);
  });

  test("COPY (query): the query's own text", async () => {
    const sql = `COPY ( /* ) */ SELECT ')' AS p, $x$)$x$, "a)" FROM t -- )\n WHERE e = E'\\')' ) TO STDOUT`;
    const parsed = await parseCopyStatement(sql);
    expect(parsed).toMatchObject({ query: expect.stringContaining('SELECT') });
    const query = (parsed as { query: string }).query;
    expect(query.trim().endsWith("E'\\')'")).toBe(true);
  });
});

describe('parenthesised', () => {
  test('skips strings, identifiers, dollar quotes and comments', () => {
    expect(parenthesised('copy (select \'(\' , "x(" , $$)$$) to stdout')).toBe('select \'(\' , "x(" , $$)$$');
    expect(parenthesised('copy (select (1)) to stdout')).toBe('select (1)');
    expect(parenthesised("copy (select 'open")).toBeUndefined();
  });
});
