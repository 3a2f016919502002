import { createMasker, REDACTED } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CatalogType } from '../upstream/catalog-client.js';
import { BUILTIN_TYPES, maskBinaryValue, Shape, TypeShapes } from './binary-values.js';

// Layouts from PostgreSQL's array_send, record_send and range_send; the e2e test
// (test/binary-values.test.ts) holds the rebuilt values to the server's own.

const masker = createMasker({
  rules: [
    { detector: 'email', strategy: 'redact' },
    { detector: 'credit_card', strategy: 'redact' },
  ],
});
const maskText = (text: string) => masker.maskText(text);

const TEXT = 25;
const INT4 = 23;
const INT8 = 20;
const TEXT_ARRAY = 1009;
const RECORD = 2249;
const INT8_RANGE = 3926;

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function item(value: Buffer | null): Buffer {
  return value === null ? int32(-1) : Buffer.concat([int32(value.length), value]);
}

function arrayOf(element: number, values: (Buffer | null)[], dims = [values.length]): Buffer {
  const nulls = values.some((v) => v === null) ? 1 : 0;
  const header = [
    int32(dims.length),
    int32(nulls),
    int32(element),
    ...dims.flatMap((d) => [int32(d), int32(1)]),
  ];
  return Buffer.concat([...header, ...values.map(item)]);
}

function recordOf(fields: [number, Buffer | null][]): Buffer {
  return Buffer.concat([int32(fields.length), ...fields.flatMap(([oid, v]) => [int32(oid), item(v)])]);
}

function int8(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

const t = (s: string) => Buffer.from(s, 'utf8');

function mask(types: TypeShapes, oid: number, value: Buffer) {
  return maskBinaryValue(types, oid, value, 0, value.length, maskText);
}

function row(partial: Partial<CatalogType> & { oid: number }): CatalogType {
  return { kind: 'b', send: '', element: 0, base: 0, subtype: 0, fields: [], ...partial };
}

describe('maskBinaryValue', () => {
  test('masks the text elements of an array in place, as array_send lays them out', () => {
    const value = arrayOf(TEXT, [t('ada@example.com'), null, t('plain')]);
    expect(mask(BUILTIN_TYPES, TEXT_ARRAY, value)).toEqual(arrayOf(TEXT, [t(REDACTED), null, t('plain')]));
    const clean = arrayOf(TEXT, [t('plain'), t('more')], [1, 2]);
    expect(mask(BUILTIN_TYPES, TEXT_ARRAY, clean)).toBeUndefined();
  });

  test('an element no mask text can stand for becomes NULL and sets the has-NULLs flag', () => {
    const value = arrayOf(INT8, [int8(4111111111111111n), int8(42n)]);
    expect(mask(BUILTIN_TYPES, 1016, value)).toEqual(arrayOf(INT8, [null, int8(42n)]));
  });

  test('masks the fields of a record by the types the value names, nested records included', () => {
    const inner = recordOf([[TEXT, t('grace@example.org')]]);
    const value = recordOf([
      [INT4, int32(7)],
      [TEXT, t('mail ada@example.com')],
      [TEXT, null],
      [RECORD, inner],
    ]);
    expect(mask(BUILTIN_TYPES, RECORD, value)).toEqual(
      recordOf([
        [INT4, int32(7)],
        [TEXT, t(`mail ${REDACTED}`)],
        [TEXT, null],
        [RECORD, recordOf([[TEXT, t(REDACTED)]])],
      ]),
    );
  });

  test('a range is NULL when a mask would change a bound, and kept otherwise', () => {
    const range = (low: bigint, high: bigint) =>
      Buffer.concat([Buffer.from([0x02]), item(int8(low)), item(int8(high))]);
    expect(mask(BUILTIN_TYPES, INT8_RANGE, range(4111111111111111n, 4111111111111112n))).toBeNull();
    expect(mask(BUILTIN_TYPES, INT8_RANGE, range(1n, 10n))).toBeUndefined();
    // Empty, and unbounded below.
    expect(mask(BUILTIN_TYPES, INT8_RANGE, Buffer.from([0x01]))).toBeUndefined();
    const oneBound = (flags: number) => Buffer.concat([Buffer.from([flags]), item(int8(5n))]);
    expect(mask(BUILTIN_TYPES, INT8_RANGE, oneBound(0x08))).toBeUndefined();
    // A NULL bound (flags the server defines but never sets) is not sent either.
    expect(mask(BUILTIN_TYPES, INT8_RANGE, oneBound(0x20))).toBeUndefined();
    expect(mask(BUILTIN_TYPES, INT8_RANGE, oneBound(0x40))).toBeUndefined();
  });

  test('scalars no mask changes are kept; types of unknown layout are NULL', () => {
    const uuid = Buffer.alloc(16, 0x41);
    expect(mask(BUILTIN_TYPES, 2950, uuid)).toBeUndefined();
    // An OID no table or catalog row has told of.
    expect(mask(BUILTIN_TYPES, 16999, t('plain'))).toBeNull();
    expect(mask(BUILTIN_TYPES, TEXT_ARRAY, arrayOf(16999, [t('plain')]))).toEqual(arrayOf(16999, [null]));
    // An anonymous record's field of such a type: that field alone.
    expect(
      mask(
        BUILTIN_TYPES,
        RECORD,
        recordOf([
          [INT4, int32(1)],
          [16999, t('plain')],
        ]),
      ),
    ).toEqual(
      recordOf([
        [INT4, int32(1)],
        [16999, null],
      ]),
    );
  });

  test('malformed values are NULL, never thrown', () => {
    const good = arrayOf(TEXT, [t('ada@example.com')]);
    const cases = [
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.concat([int32(7), int32(0), int32(TEXT)]),
      Buffer.concat([int32(1), int32(0), int32(TEXT), int32(1), int32(1), int32(-5)]),
      recordOf([[TEXT, t('x')]]).subarray(0, 9),
      Buffer.from([0x02, 0, 0]),
    ];
    for (const value of cases) {
      expect(mask(BUILTIN_TYPES, TEXT_ARRAY, value)).toBeNull();
      expect(mask(BUILTIN_TYPES, RECORD, value)).toBeNull();
      expect(mask(BUILTIN_TYPES, INT8_RANGE, value)).toBeNull();
    }
  });

  test('tsvector and tsquery: a value with a lexeme or operand a mask would change is NULL', () => {
    // tsvectorsend('ada@example.com:1,3A plain:2'), and the same with `ada` for the address.
    const vector = (lexeme: string) =>
      Buffer.concat([
        Buffer.from('00000002', 'hex'),
        Buffer.from(`${lexeme}\0`),
        Buffer.from('00020001c003', 'hex'),
        Buffer.from('plain\0'),
        Buffer.from('00010002', 'hex'),
      ]);
    expect(mask(BUILTIN_TYPES, 3614, vector('ada@example.com'))).toBeNull();
    expect(mask(BUILTIN_TYPES, 3614, vector('ada'))).toBeUndefined();
    // tsquerysend('d' | !'d' … ): OR, NOT, operand; AND, PHRASE <2>, operands c:*A, b, and the last.
    const query = (operand: string) =>
      Buffer.concat([
        Buffer.from('0000000802030201010000640002020204000201080163000100006200010000', 'hex'),
        Buffer.from(`${operand}\0`),
      ]);
    expect(mask(BUILTIN_TYPES, 3615, query('ada@example.com'))).toBeNull();
    expect(mask(BUILTIN_TYPES, 3615, query('ada'))).toBeUndefined();
    // Cut short, or with bytes past the last item: malformed, NULL.
    expect(mask(BUILTIN_TYPES, 3614, vector('ada').subarray(0, 20))).toBeNull();
    expect(mask(BUILTIN_TYPES, 3615, Buffer.concat([query('ada'), Buffer.from([0])]))).toBeNull();
  });

  test('any bytes under any layout: a result, never an exception', () => {
    // Every shape: the server's own types, and an hstore, an enum and a domain as learned.
    const types = new TypeShapes();
    types.learn([
      row({ oid: 19000, send: '$libdir/hstore:hstore_send' }),
      row({ oid: 19001, kind: 'e' }),
      row({ oid: 19002, kind: 'd', base: TEXT_ARRAY }),
    ]);
    const oids = [
      TEXT_ARRAY,
      RECORD,
      INT8_RANGE,
      4536,
      869,
      1700,
      INT8,
      3802,
      TEXT,
      2950,
      3614,
      3615,
      1184,
      701,
      1186,
      602,
      16999,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...oids, 19000, 19001, 19002),
        fc.uint8Array({ maxLength: 64 }),
        (oid, bytes) => {
          const value = Buffer.from(bytes);
          const out = mask(types, oid, value);
          expect(out === undefined || out === null || Buffer.isBuffer(out)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('what is nested deeper than the limit is NULL, unread', () => {
    let value = recordOf([[TEXT, t('plain')]]);
    for (let i = 0; i < 40; i++) value = recordOf([[RECORD, value]]);
    const out = mask(BUILTIN_TYPES, RECORD, value);
    expect(Buffer.isBuffer(out) && out.length < value.length).toBe(true);
    expect(out?.includes('plain')).toBe(false);
  });
});

describe('TypeShapes', () => {
  test('learns types from catalog rows and names the types they are made of', () => {
    const types = new TypeShapes();
    expect(types.unknown([TEXT, 17000, 17001, 17000, 0])).toEqual([17000, 17001]);
    const next = types.learn([
      // A composite (its fields' types), an array of it, a domain over text.
      row({ oid: 17000, kind: 'c', fields: [TEXT, 17002] }),
      row({ oid: 17001, send: 'array_send', element: 17000 }),
      row({ oid: 17002, kind: 'd', base: 17003 }),
    ]);
    expect(next).toEqual([17003]);
    expect(types.learn([row({ oid: 17003, send: 'textsend' })])).toEqual([]);
    expect(types.shapeOf(17000)?.shape).toBe(Shape.Record);
    expect(types.shapeOf(17001)?.shape).toBe(Shape.Array);
    const value = arrayOf(17000, [recordOf([[17002, t('ada@example.com')]])]);
    expect(mask(types, 17001, value)).toEqual(arrayOf(17000, [recordOf([[17002, t(REDACTED)]])]));
  });

  test("an extension's type is read by its send function: the server's textsend, hstore's", () => {
    const types = new TypeShapes();
    types.learn([
      row({ oid: 18000, send: 'textsend' }), // citext
      row({ oid: 18001, send: '$libdir/postgis-3:LWGEOM_send' }), // a layout not read here
      row({ oid: 18004, send: '$libdir/hstore:hstore_send' }),
      row({ oid: 18005, send: '$libdir/other:hstore_send' }), // another library's symbol
      row({ oid: 18002, kind: 'e' }), // an enum: its label, NULL when a mask would change it
      row({ oid: 18003, kind: 'r', subtype: TEXT }),
    ]);
    expect(mask(types, 18000, t('ada@example.com'))).toEqual(t(REDACTED));
    expect(mask(types, 18001, t('plain'))).toBeNull();
    const hstore = (pairs: [string, string | null][]) =>
      Buffer.concat([
        int32(pairs.length),
        ...pairs.flatMap(([k, v]) => [item(t(k)), item(v === null ? null : t(v))]),
      ]);
    const value = hstore([
      ['e', 'ada@example.com'],
      ['n', null],
      ['ada@example.com', 'k'],
    ]);
    expect(mask(types, 18004, value)).toEqual(
      hstore([
        ['e', REDACTED],
        ['n', null],
        [REDACTED, 'k'],
      ]),
    );
    expect(mask(types, 18004, hstore([['k', 'plain']]))).toBeUndefined();
    expect(mask(types, 18004, value.subarray(0, value.length - 1))).toBeNull();
    expect(mask(types, 18005, value)).toBeNull();
    expect(mask(types, 18002, t('ada@example.com'))).toBeNull();
    expect(mask(types, 18002, t('calm'))).toBeUndefined();
    const range = Buffer.concat([Buffer.from([0x02]), item(t('a')), item(t('ada@example.com'))]);
    expect(mask(types, 18003, range)).toBeNull();
  });
});
