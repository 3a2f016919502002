import { createMasker } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { FieldDescription } from '../protocol/backend-messages.js';
import { CopyOutStream, type CopyPlan, maskDelimitedRow, splitCsvRow, splitTextRow } from './copy-mask.js';
import type { CopyOptions } from './copy-statement.js';
import { createRowPlan, withResultFormats } from './mask-plan.js';
import { TextSettings } from './scalar-text.js';

const TEXT: CopyOptions = {
  format: 'text',
  delimiter: '\t',
  null: '\\N',
  header: false,
  quote: '"',
  escape: '"',
};
const CSV: CopyOptions = { format: 'csv', delimiter: ',', null: '', header: false, quote: '"', escape: '"' };
const BINARY: CopyOptions = { ...TEXT, format: 'binary' };

/** Fields' values read as UTF-8. */
const texts = (fields: { value: Buffer | null }[]) => fields.map((f) => f.value?.toString('utf8') ?? null);

function field(name: string, typeOid: number): FieldDescription {
  return { name, tableOid: 0, attributeNumber: 0, typeOid, typeSize: -1, typeModifier: -1, format: 0 };
}

/** id int4, email text, age int4; users.email and users.age masked. */
function plan(options: CopyOptions): CopyPlan {
  const masker = createMasker({
    rules: [
      { column: 'users.email', strategy: 'redact' },
      { column: 'users.age', strategy: 'redact' },
    ],
  });
  const context = { masker, hasColumnRules: true, hasTextRules: false };
  let rows = createRowPlan(
    context,
    [field('id', 23), field('email', 25), field('age', 23)],
    [
      { table: 'public.users', column: 'id' },
      { table: 'public.users', column: 'email' },
      { table: 'public.users', column: 'age' },
    ],
  );
  if (options.format === 'binary') rows = withResultFormats(rows, [1]);
  return { options, rows, context };
}

describe('text-format rows', () => {
  test('decodes escapes and NULL, honouring the delimiter', () => {
    const values = (row: string, o: CopyOptions) => texts(splitTextRow(Buffer.from(row), o));
    expect(values('a\\tb\t\\N\tc\\\\d\\n\t\\101', TEXT)).toEqual(['a\tb', null, 'c\\d\n', 'A']);
    const comma = { ...TEXT, delimiter: ',', null: 'nil' };
    expect(values('a\\,b,nil,c\\\\,d', comma)).toEqual(['a,b', null, 'c\\', 'd']);
  });

  test("a detector's hit in a typed scalar column is NULL; in a text column, the mask", () => {
    const context = {
      masker: createMasker({ rules: [{ detector: 'credit_card', strategy: 'partial', keep: 4 }] }),
      hasColumnRules: false,
      hasTextRules: true,
    };
    const rows = createRowPlan(
      context,
      [field('ref', 20), field('note', 25)],
      [{ column: 'ref' }, { column: 'note' }],
    );
    const out = maskDelimitedRow(
      { options: TEXT, rows, context },
      Buffer.from('4111111111111111	4111111111111111'),
    );
    expect(out.toString()).toBe('\\N\t************1111\n');
    // CSV: the NULL string is empty and unquoted.
    const csv = maskDelimitedRow(
      { options: CSV, rows, context },
      Buffer.from('4111111111111111,4111111111111111'),
    );
    expect(csv.toString()).toBe(',************1111\n');
  });

  test('masks the picked columns, keeps the others byte for byte', () => {
    const out = maskDelimitedRow(plan(TEXT), Buffer.from('1\tada@example.com\t\\N')).toString();
    expect(out).toBe('1\t[REDACTED]\t\\N\n');
    const comma = { ...TEXT, delimiter: ',' };
    expect(maskDelimitedRow(plan(comma), Buffer.from('0001,a\\,b,7')).toString()).toBe(
      '0001,[REDACTED],[REDACTED]\n',
    );
    expect(() => maskDelimitedRow(plan(TEXT), Buffer.from('1\tx'))).toThrow(/2 columns, expected 3/);
  });
});

describe('CSV rows', () => {
  test('quoted values with delimiters, quotes and newlines; only an unquoted empty field is NULL', () => {
    const fields = splitCsvRow(Buffer.from('1,"a,""b""\nc",,""'), CSV);
    expect(texts(fields)).toEqual(['1', 'a,"b"\nc', null, '']);
    const esc = { ...CSV, quote: "'", escape: '\\', delimiter: ';' };
    expect(texts(splitCsvRow(Buffer.from("'it\\'s';'a\\\\b';x"), esc))).toEqual(["it's", 'a\\b', 'x']);
  });

  test('a masked value is written back quoted as needed', () => {
    const masker = createMasker({ rules: [{ column: 't.v', strategy: 'partial', keep: 2 }] });
    const context = { masker, hasColumnRules: true, hasTextRules: false };
    const rows = createRowPlan(
      context,
      [field('v', 25), field('w', 25)],
      [
        { table: 't', column: 'v' },
        { table: 't', column: 'w' },
      ],
    );
    const p: CopyPlan = { options: CSV, rows, context };
    const out = maskDelimitedRow(p, Buffer.from('"x,y\n""z""",plain')).toString();
    const back = texts(splitCsvRow(Buffer.from(out.slice(0, -1)), CSV));
    expect(back[1]).toBe('plain');
    expect(back[0]).not.toContain('x,y');
    expect(back[0]?.endsWith('"')).toBe(true);
  });

  test('round trip: any values survive a stream cut anywhere, and masked ones are masked', () => {
    const quoteCsv = (v: string | null) => (v === null ? '' : `"${v.replaceAll('"', '""')}"`);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 99 }), fc.option(fc.string(), { nil: null }), fc.string()),
          { minLength: 1, maxLength: 5 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (rows, cut) => {
          const data = Buffer.from(
            rows.map(([id, email, age]) => `${id},${quoteCsv(email)},${quoteCsv(age)}\n`).join(''),
          );
          const stream = new CopyOutStream(plan(CSV), 1 << 20);
          const out: Buffer[] = [];
          for (let i = 0; i < data.length; i += cut) out.push(stream.push(data.subarray(i, i + cut)));
          stream.end();
          const text = Buffer.concat(out).toString();
          const lines = text.split('\n').slice(0, -1);
          expect(lines.length).toBe(rows.length);
          lines.forEach((line, i) => {
            const [id, email] = texts(splitCsvRow(Buffer.from(line), CSV));
            expect(id).toBe(String(rows[i]?.[0]));
            expect(email).toBe(rows[i]?.[1] === null ? null : '[REDACTED]');
          });
        },
      ),
    );
  });

  test('the header line passes as it came; several rows in one message', () => {
    const stream = new CopyOutStream(plan({ ...CSV, header: true }), 1 << 20);
    const out = stream.push(Buffer.from('id,email,age\n1,a@b.c,3\n2,"x\ny",4\n'));
    expect(out.toString()).toBe('id,email,age\n1,[REDACTED],[REDACTED]\n2,"[REDACTED]",[REDACTED]\n');
    stream.end();
  });

  test('a row longer than the limit, or data ending inside a row, fails closed', () => {
    const small = new CopyOutStream(plan(CSV), 16);
    expect(() => small.push(Buffer.from('"1,2,3,4,5,6,7,8,9,10'))).toThrow(/longer than/);
    const cut = new CopyOutStream(plan(CSV), 1 << 20);
    expect(cut.push(Buffer.from('1,"open\n')).length).toBe(0);
    expect(() => cut.end()).toThrow(/ended inside a row/);
  });
});

describe('binary rows', () => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  function tuple(values: (Buffer | null)[]): Buffer {
    const parts: Buffer[] = [Buffer.from([0, values.length])];
    for (const v of values) {
      const len = Buffer.alloc(4);
      len.writeInt32BE(v === null ? -1 : v.length);
      parts.push(len);
      if (v) parts.push(v);
    }
    return Buffer.concat(parts);
  }
  const int4 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const trailer = Buffer.from([0xff, 0xff]);

  function parse(data: Buffer): (Buffer | null)[][] {
    expect(data.subarray(0, 19).equals(header)).toBe(true);
    const rows: (Buffer | null)[][] = [];
    let p = 19;
    for (;;) {
      const n = data.readInt16BE(p);
      p += 2;
      if (n === -1) break;
      const row: (Buffer | null)[] = [];
      for (let i = 0; i < n; i++) {
        const len = data.readInt32BE(p);
        p += 4;
        row.push(len < 0 ? null : data.subarray(p, p + len));
        if (len > 0) p += len;
      }
      rows.push(row);
    }
    expect(p).toBe(data.length);
    return rows;
  }

  test('a text column gets the mask text, an int4 column becomes NULL, others pass', () => {
    const data = Buffer.concat([
      header,
      tuple([int4(1), Buffer.from('ada@example.com'), int4(36)]),
      tuple([int4(2), null, null]),
      trailer,
    ]);
    for (const cut of [1, 3, 19, 1000]) {
      const stream = new CopyOutStream(plan(BINARY), 1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < data.length; i += cut) out.push(stream.push(data.subarray(i, i + cut)));
      stream.end();
      const rows = parse(Buffer.concat(out));
      expect(rows.map((r) => r.map((v) => v?.toString('hex') ?? null))).toEqual([
        [int4(1).toString('hex'), Buffer.from('[REDACTED]').toString('hex'), null],
        [int4(2).toString('hex'), null, null],
      ]);
    }
  });

  test('a bad signature, a wrong width, or a missing trailer fails closed', () => {
    expect(() => new CopyOutStream(plan(BINARY), 1 << 20).push(Buffer.alloc(19))).toThrow(/signature/);
    expect(() =>
      new CopyOutStream(plan(BINARY), 1 << 20).push(Buffer.concat([header, tuple([int4(1)])])),
    ).toThrow(/1 columns, expected 3/);
    const s = new CopyOutStream(plan(BINARY), 1 << 20);
    s.push(Buffer.concat([header, tuple([int4(1), null, null])]));
    expect(() => s.end()).toThrow(/trailer/);
  });
});

describe('client encodings', () => {
  const settingsFor = (encoding: string) => {
    const s = new TextSettings();
    s.note('client_encoding', encoding);
    return s;
  };
  /** note text, email text; the email detector on both. */
  function detectorPlan(options: CopyOptions): CopyPlan {
    const context = {
      masker: createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] }),
      hasColumnRules: false,
      hasTextRules: true,
    };
    const rows = createRowPlan(
      context,
      [field('note', 25), field('email', 25)],
      [{ column: '' }, { column: '' }],
    );
    return { options, rows, context };
  }
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  /** `表` in SJIS: its second byte is a backslash. `ポ`: its second byte is `|`. */
  const HYO = [0x95, 0x5c];
  const PO = [0x83, 0x7c];

  test('SJIS text format: a backslash inside a character is not an escape, in or out', () => {
    const sjis = settingsFor('SJIS');
    const row = bytes(HYO, '\tada@example.com');
    const out = maskDelimitedRow(detectorPlan(TEXT), row, sjis);
    expect(out.equals(bytes(HYO, '\t[REDACTED]\n'))).toBe(true);
    // Masked around it: the character is written back whole, its backslash not doubled.
    const around = maskDelimitedRow(detectorPlan(TEXT), bytes(HYO, ' ada@example.com\tx'), sjis);
    expect(around.equals(bytes(HYO, ' [REDACTED]\tx\n'))).toBe(true);
    // Read one byte at a time as before, the backslash took the delimiter with it.
    expect(() => maskDelimitedRow(detectorPlan(TEXT), row, settingsFor('LATIN1'))).toThrow(/1 columns/);
  });

  test('SJIS CSV with a quote character that is the second byte of another', () => {
    const options = { ...CSV, quote: '|', escape: '|' };
    const data = bytes(PO, ',ada@example.com\n', '|a,b|,x\n');
    for (const cut of [1, 2, 3, data.length]) {
      const stream = new CopyOutStream(detectorPlan(options), 1 << 20, settingsFor('SJIS'));
      const out: Buffer[] = [];
      for (let i = 0; i < data.length; i += cut) out.push(stream.push(data.subarray(i, i + cut)));
      stream.end();
      expect(Buffer.concat(out).equals(bytes(PO, ',[REDACTED]\n', '|a,b|,x\n'))).toBe(true);
    }
  });

  test('LATIN1: a value is read one character per byte, and keeps its other bytes', () => {
    const row = bytes('caf\xe9 jos\xe9@example.com\tx');
    const latin1 = maskDelimitedRow(detectorPlan(TEXT), row, settingsFor('LATIN1'));
    expect(latin1.equals(bytes('caf\xe9 [REDACTED]\tx\n'))).toBe(true);
    const csv = maskDelimitedRow(detectorPlan(CSV), bytes('"jos\xe9@example.com",x'), settingsFor('LATIN1'));
    expect(csv.equals(bytes('"[REDACTED]",x\n'))).toBe(true);
  });

  test('SQL_ASCII: each value as UTF-8 when it is, otherwise one character per byte', () => {
    const sqlAscii = settingsFor('SQL_ASCII');
    const out = maskDelimitedRow(detectorPlan(TEXT), bytes('caf\xe9 jos\xe9@example.com\tx'), sqlAscii);
    expect(out.equals(bytes('caf\xe9 [REDACTED]\tx\n'))).toBe(true);
    const utf8 = Buffer.from('café josé@example.com\tx');
    expect(maskDelimitedRow(detectorPlan(TEXT), utf8, sqlAscii).toString('utf8')).toBe(
      'café [REDACTED]\tx\n',
    );
  });
});

describe('SJIS COPY data cut anywhere (property)', () => {
  const sjis = new TextSettings();
  sjis.note('client_encoding', 'SJIS');
  /** One SJIS character: ASCII (escapes and delimiters likely), half-width kana, or two bytes. */
  const char = fc.oneof(
    fc.constantFrom([0x5c], [0x09], [0x0a], [0x0d], [0x7c], [0x2c], [0x22], [0x4e]),
    fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]),
    fc.integer({ min: 0xa1, max: 0xdf }).map((b) => [b]),
    fc.tuple(
      fc.oneof(fc.integer({ min: 0x81, max: 0x9f }), fc.integer({ min: 0xe0, max: 0xfc })),
      fc.oneof(
        fc.constantFrom(0x5c, 0x7c),
        fc.integer({ min: 0x40, max: 0x7e }),
        fc.integer({ min: 0x80, max: 0xfc }),
      ),
    ),
  );
  const value = fc.option(
    fc.array(char, { maxLength: 6 }).map((cs) => cs.map((c) => [...c])),
    { nil: null },
  );
  const width = (c: number[]) => c.length;
  /** The test's model of the server's CopyAttributeOutText: characters of two bytes whole. */
  const text = (v: number[][] | null) => {
    if (v === null) return [0x5c, 0x4e];
    const out: number[] = [];
    const letters: Record<number, number> = { 8: 0x62, 12: 0x66, 10: 0x6e, 13: 0x72, 9: 0x74, 11: 0x76 };
    for (const c of v) {
      const b = c[0] as number;
      if (width(c) === 1 && letters[b] !== undefined) out.push(0x5c, letters[b] as number);
      else if (width(c) === 1 && b === 0x5c) out.push(0x5c, 0x5c);
      else out.push(...c);
    }
    return out;
  };
  /** CopyAttributeOutCSV with QUOTE '|' and the default delimiter: quoted when it must be. */
  const csv = (v: number[][] | null) => {
    if (v === null) return [];
    const singles = v.filter((c) => width(c) === 1).map((c) => c[0]);
    const needs = v.length === 0 || singles.some((b) => b === 0x2c || b === 0x7c || b === 0x0a || b === 0x0d);
    if (!needs) return v.flat();
    return [0x7c, ...v.flatMap((c) => (width(c) === 1 && c[0] === 0x7c ? [0x7c, 0x7c] : c)), 0x7c];
  };

  test.each([
    ['text', TEXT, text, [0x09], Buffer.from('\\N')],
    ['CSV', { ...CSV, quote: '|', escape: '|' }, csv, [0x2c], Buffer.alloc(0)],
  ] as const)(
    '%s: the masked middle column, the others byte for byte',
    (_name, options, encode, delimiter, nullOut) => {
      const context = {
        masker: createMasker({ rules: [{ column: 't.b', strategy: 'redact' }] }),
        hasColumnRules: true,
        hasTextRules: false,
      };
      const rows = createRowPlan(
        context,
        [field('a', 25), field('b', 25), field('c', 25)],
        ['a', 'b', 'c'].map((column) => ({ table: 't', column })),
      );
      const p: CopyPlan = { options, rows, context };
      fc.assert(
        fc.property(
          fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 9 }),
          (table, cut) => {
            const line = (r: readonly (number[][] | null)[]) => [
              ...encode(r[0] ?? null),
              ...delimiter,
              ...encode(r[1] ?? null),
              ...delimiter,
              ...encode(r[2] ?? null),
              0x0a,
            ];
            const data = Buffer.from(table.flatMap((r) => line(r)));
            const stream = new CopyOutStream(p, 1 << 20, sjis);
            const out: Buffer[] = [];
            for (let i = 0; i < data.length; i += cut) out.push(stream.push(data.subarray(i, i + cut)));
            stream.end();
            const expected = Buffer.concat(
              table.map(([a, b, c]) =>
                Buffer.concat([
                  Buffer.from(encode(a)),
                  Buffer.from(delimiter),
                  // A CSV value the server quoted keeps its quotes around the mask.
                  b === null
                    ? nullOut
                    : Buffer.from(
                        options.format === 'csv' && encode(b)[0] === 0x7c ? '|[REDACTED]|' : '[REDACTED]',
                      ),
                  Buffer.from(delimiter),
                  Buffer.from(encode(c)),
                  Buffer.from([0x0a]),
                ]),
              ),
            );
            expect(Buffer.concat(out).toString('hex')).toBe(expected.toString('hex'));
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});
