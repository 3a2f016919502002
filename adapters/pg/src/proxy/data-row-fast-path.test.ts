import { createMasker, DETECTOR_NAMES, type MaskRule, REDACTED } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type FieldDescription, readDataRow } from '../protocol/backend-messages.js';
import { writeDataRow } from '../protocol/backend-writers.js';
import { MessageWriter } from '../protocol/message-writer.js';
import {
  ColumnAction,
  createRowPlan,
  type MaskContext,
  maskDataRowBody,
  maskDataRowToBuffer,
  SHORT_SAFE_BYTES,
  withResultFormats,
} from './mask-plan.js';

// The relay's fast path (maskDataRowBody: type-based skips, rows forwarded as received) must
// send exactly what the full masker (maskDataRow over every value) sends, row for row.

const ALL_DETECTORS: MaskRule[] = DETECTOR_NAMES.map((detector) => ({ detector, strategy: 'redact' }));

function context(rules: MaskRule[]): MaskContext {
  return {
    masker: createMasker({ rules }),
    hasColumnRules: rules.some((r) => 'column' in r),
    hasTextRules: rules.some((r) => 'detector' in r || 'pattern' in r),
  };
}

function field(name: string, typeOid: number, format = 0): FieldDescription {
  return { name, tableOid: 1, attributeNumber: 1, typeOid, typeSize: -1, typeModifier: -1, format };
}

function planOf(rules: MaskRule[], fields: FieldDescription[]) {
  return createRowPlan(
    context(rules),
    fields,
    fields.map((f) => ({ table: 't', column: f.name })),
  );
}

/** What the relay sends for one DataRow: the fast path's output, or the message as received. */
function relayed(plan: ReturnType<typeof planOf>, values: (Buffer | null)[]): Buffer {
  const w = new MessageWriter();
  writeDataRow(w, values);
  const message = w.flush();
  const out = new MessageWriter();
  return maskDataRowBody(plan, message.subarray(5), out) ? out.flush() : message;
}

const text = (s: string) => Buffer.from(s, 'utf8');

describe('type-based skips', () => {
  test('no built-in detector changes a value of a scan-free type or a short int8/numeric', () => {
    const masker = createMasker({ rules: ALL_DETECTORS });
    const scanFree = fc.oneof(
      fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
      fc.integer({ min: 0, max: 4294967295 }).map(String),
      fc.constantFrom('t', 'f', '-32768', '2147483647', '-2147483648', '4294967295'),
    );
    const shortNumeric = fc.oneof(
      fc.bigInt({ min: -(10n ** 11n), max: 10n ** 12n - 1n }).map(String),
      fc
        .tuple(fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 5n }))
        .map(([a, b]) => `${a}.${b}`),
      fc.constantFrom('NaN', 'Infinity', '-Infinity', '999999999999', '-99999999999'),
    );
    fc.assert(
      fc.property(scanFree, (v) => masker.maskText(v) === v),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        shortNumeric.filter((v) => v.length <= SHORT_SAFE_BYTES),
        (v) => masker.maskText(v) === v,
      ),
      { numRuns: 2000 },
    );
  });

  test('text, varchar, json, unknown, OID 0 and user-defined types are always scanned', () => {
    const fields = [25, 1043, 114, 3802, 705, 0, 16385, 1009].map((oid, i) => field(`c${i}`, oid));
    const plan = planOf(ALL_DETECTORS, fields);
    expect(plan.actions.every((a) => a === ColumnAction.Scan)).toBe(true);
    const out = relayed(
      plan,
      fields.map(() => text('mail ada@example.com')),
    );
    expect(out.toString()).not.toContain('ada@example.com');
    expect(out.toString()).toContain(REDACTED);
  });

  test('int4 and bool columns are passed through; a pattern rule makes every column scanned', () => {
    expect(planOf(ALL_DETECTORS, [field('a', 23), field('b', 16)]).passThrough).toBe(true);
    const fields = [field('a', 23), field('b', 16), field('c', 20)];
    const withPattern = planOf([...ALL_DETECTORS, { pattern: '\\d{3}', strategy: 'redact' }], fields);
    expect(withPattern.passThrough).toBe(false);
    expect(withPattern.actions).toEqual([ColumnAction.Scan, ColumnAction.Scan, ColumnAction.Scan]);
    const out = relayed(withPattern, [text('12345'), text('t'), text('1')]);
    expect(out.toString()).not.toContain('12345');
  });

  test('a long int8 that is a card number is NULL, a type it is a value of; a short one is forwarded as it came', () => {
    const plan = planOf(ALL_DETECTORS, [field('n', 20), field('m', 1700), field('t', 25)]);
    expect(plan.passThrough).toBe(false);
    const values = [text('4111111111111111'), text('5555555555554444'), text('4111111111111111')];
    const card = relayed(plan, values);
    expect(card).toEqual(maskDataRowToBuffer(plan, values));
    // In a text column the mask is text; in int8 and numeric ones, `************1111` would
    // make a driver that parses the type fail on the whole result.
    expect(readDataRow(card.subarray(5))).toEqual([null, null, text(REDACTED)]);
    const w = new MessageWriter();
    writeDataRow(w, [text('123456789012'), text('-12345.6789')]);
    const message = w.flush();
    expect(maskDataRowBody(plan, message.subarray(5), new MessageWriter())).toBe(false);
  });

  test('column rules apply to every type, in either format', () => {
    const rules: MaskRule[] = [
      { column: 't.a', strategy: 'redact' },
      { column: 't.b', strategy: 'redact' },
      { column: 't.c', strategy: 'partial', keep: 2 },
    ];
    const plan = planOf(rules, [field('a', 23), field('b', 16, 1), field('c', 25)]);
    expect(plan.actions).toEqual([ColumnAction.Picked, ColumnAction.Picked, ColumnAction.Picked]);
    const b = Buffer.from([1]);
    const out = relayed(plan, [text('42'), b, text('secret-value')]);
    expect(out).toEqual(maskDataRowToBuffer(plan, [text('42'), b, text('secret-value')]));
    expect(out.toString()).not.toContain('42');
    expect(out.toString()).not.toContain('secret-value');
  });

  test('result formats from Bind are taken into account (binary int8 and float8 are read as their text, binary text as text)', () => {
    const plan = planOf(ALL_DETECTORS, [field('n', 20), field('t', 25), field('f', 701)]);
    const binary = withResultFormats(plan, [1]);
    expect(binary.actions).toEqual([ColumnAction.ScanLong, ColumnAction.Scan, ColumnAction.Scan]);
    // numeric_send of 5555555555554444: four base-10000 digits, weight 3, positive, scale 0.
    const numericPlan = withResultFormats(planOf(ALL_DETECTORS, [field('m', 1700)]), [1]);
    const card = Buffer.from('0004000300000000' + '15b3' + '15b3' + '15b3' + '115c', 'hex');
    expect(readDataRow(relayed(numericPlan, [card]).subarray(5))).toEqual([null]);
    expect(relayed(numericPlan, [card])).toEqual(maskDataRowToBuffer(numericPlan, [card]));
    const small = Buffer.from('000100000000000000' + '2a', 'hex');
    expect(readDataRow(relayed(numericPlan, [small]).subarray(5))).toEqual([small]);
    const int8 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(n);
      return b;
    };
    const float = Buffer.alloc(8, 0x41);
    const values = [int8(4111111111111111n), text('ada@example.com'), float];
    const out = relayed(binary, values);
    expect(out).toEqual(maskDataRowToBuffer(binary, values));
    // A card number kept in a bigint is NULL in binary as in text; the float8 (2261634.5098039214) is no card.
    expect(readDataRow(out.subarray(5))).toEqual([null, text(REDACTED), float]);
    // An Amex number kept in a float8 is written 378282246310005 and found, as in text.
    const amex = Buffer.alloc(8);
    amex.writeDoubleBE(378282246310005);
    const withAmex = [int8(1n), text('x'), amex];
    expect(readDataRow(relayed(binary, withAmex).subarray(5))).toEqual([int8(1n), text('x'), null]);
    expect(relayed(binary, withAmex)).toEqual(maskDataRowToBuffer(binary, withAmex));
    for (const n of [
      0n,
      -1n,
      42n,
      2n ** 32n,
      -(2n ** 32n),
      999_999_999_999n,
      4111111111111112n,
      -(2n ** 63n),
    ]) {
      const row = [int8(n), text('x'), float];
      expect(relayed(binary, row)).toEqual(maskDataRowToBuffer(binary, row));
      expect(readDataRow(relayed(binary, row).subarray(5))[0]).toEqual(int8(n));
    }
  });
});

describe('the fast path sends what the full masker sends', () => {
  const TEXTUAL = [25, 1043, 1042, 19, 705, 142, 114, 3802, 0, 16385, 701, 1082, 17, 1009];
  const free = fc.oneof(
    fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
    fc.constantFrom('t', 'f'),
  );
  const numeric = fc.oneof(
    fc.stringMatching(/^-?[1-9]\d{0,18}$/),
    fc.constantFrom(
      '4111111111111111',
      '5555555555554444',
      '378282246310005',
      '123456789012',
      '1234567890123',
    ),
    fc.tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.nat(99999)).map(([a, b]) => `${a}.${b}`),
  );
  const anyText = fc.oneof(
    fc.constantFrom(
      'ada@example.com',
      'call +44 20 7946 0958',
      '(212) 555-0143',
      '4111111111111111',
      '4111 1111 1111 1111',
      '078-05-1120',
      'GB82WEST12345698765432',
      'AKIAIOSFODNN7EXAMPLE',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
      '',
      '{"mail":"ada@example.com"}',
      'note 17',
    ),
    fc.string({ maxLength: 24 }),
    numeric,
  );
  /** A column: its type, format and a value of that type (as the server would send it). */
  const column = fc.oneof(
    fc.tuple(fc.constantFrom(23, 21, 16, 26), fc.constant(0), fc.option(free)),
    fc.tuple(fc.constantFrom(20, 1700), fc.constant(0), fc.option(numeric)),
    fc.tuple(fc.constantFrom(...TEXTUAL), fc.constantFrom(0, 1), fc.option(anyText)),
    // Binary values of opaque types: any bytes.
    fc.tuple(fc.constantFrom(23, 20, 1700, 16385), fc.constant(1), fc.option(fc.string({ maxLength: 12 }))),
  );
  const rulesets: MaskRule[][] = [
    ALL_DETECTORS,
    [
      { detector: 'email', strategy: 'partial' },
      { detector: 'credit_card', strategy: 'partial', keep: 4 },
    ],
    [...ALL_DETECTORS, { column: 't.c1', strategy: 'redact' }, { column: 't.c3', strategy: 'hash' }],
    [
      { column: 't.c0', strategy: 'null' },
      { column: 't.c2', strategy: 'partial', keep: 2 },
    ],
    [
      { pattern: '[0-9]{2}', strategy: 'redact' },
      { detector: 'phone', strategy: 'partial', keep: 4 },
    ],
  ];

  test('random rows, types, formats and rule sets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rulesets.length - 1 }),
        fc.array(column, { minLength: 1, maxLength: 5 }),
        (r, columns) => {
          const fields = columns.map(([oid, format], i) => field(`c${i}`, oid, format));
          const values = columns.map(([oid, format, v]) => {
            if (v === null) return null;
            // A binary jsonb value carries its version byte.
            if (oid === 3802 && format === 1) return Buffer.concat([Buffer.from([1]), text(v)]);
            return text(v);
          });
          const plan = planOf(rulesets[r] as MaskRule[], fields);
          expect(relayed(plan, values)).toEqual(maskDataRowToBuffer(plan, values));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('a malformed DataRow is a protocol error, never a pass', () => {
    const plan = planOf(ALL_DETECTORS, [field('a', 25)]);
    const w = new MessageWriter();
    for (const body of [
      Buffer.from([0]),
      Buffer.from([0, 1, 0, 0, 0, 9, 0x61]),
      Buffer.from([0, 1, 0xff, 0xff, 0xff, 0xfe]),
    ])
      expect(() => maskDataRowBody(plan, body, w)).toThrow(/DataRow/);
  });
});

describe('column masks written in place (rule looked up per plan, partial on ASCII bytes)', () => {
  const rulesets: MaskRule[][] = [
    [
      { column: 't.c0', strategy: 'partial' },
      { column: 'c1', strategy: 'partial', keep: 0 },
      { column: 'public.t.c2', strategy: 'partial', keep: 1 },
      { column: 't.c3', strategy: 'partial', keep: 64 },
    ],
    [
      { detector: 'email', strategy: 'partial' },
      { detector: 'phone', strategy: 'partial', keep: 4 },
      { column: 't.c0', strategy: 'partial' },
      { column: 't.c2', strategy: 'partial', keep: 4 },
    ],
    [
      { column: 't.c0', strategy: 'format' },
      { column: 't.c1', strategy: 'redact' },
      { column: 't.c2', strategy: 'null' },
      { column: 't.c3', strategy: 'hash' },
      ...ALL_DETECTORS,
    ],
    // The first matching rule wins, as in maskRow.
    [
      { column: 'c0', strategy: 'partial', keep: 2 },
      { column: 't.c0', strategy: 'redact' },
      { column: 'other.c1', strategy: 'redact' },
      { column: 'c1', strategy: 'partial', keep: 3 },
    ],
  ];
  const value = fc.oneof(
    fc.constantFrom('user17@example.com', '+1-555-0000017', 'note 17', '', 'a', '****', '{"a":1}'),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
  );
  const bytes = fc.oneof(
    value.map((v) => text(v)),
    // Any bytes, UTF-8 or not (a bad sequence decodes to U+FFFD on either path).
    fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
  );
  // Types the plan never skips (int4 and short int8 values are another test's subject);
  // text[] (1009) and record (2249) values are well formed in binary (see binary-values.ts);
  // date, timestamptz, uuid and interval values in binary are read as their text when their
  // bytes fit (scalar-text.ts) and NULL when not.
  const column = fc.tuple(
    fc.constantFrom(25, 1043, 705, 0, 701, 114, 3802, 17, 16385, 1009, 2249, 1082, 1184, 2950, 1186),
    fc.constantFrom(0, 0, 1),
    fc.option(bytes),
  );
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  /** A value as array_send (one text element) or record_send (one text field) lays it out. */
  const structured = (oid: number, v: Buffer) =>
    oid === 1009
      ? Buffer.concat([int32(1), int32(0), int32(25), int32(1), int32(1), int32(v.length), v])
      : Buffer.concat([int32(1), int32(25), int32(v.length), v]);

  test('random rows: the relay sends what the full masker sends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rulesets.length - 1 }),
        fc.array(column, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 }),
        (r, columns, extra) => {
          const fields = columns.map(([oid, format], i) => field(`c${i}`, oid, format));
          const values = columns.map(([oid, format, v]) => {
            if (v === null) return null;
            if (oid === 3802 && format === 1) return Buffer.concat([Buffer.from([1]), v]);
            if ((oid === 1009 || oid === 2249) && format === 1) return structured(oid, v);
            return v;
          });
          const plan = createRowPlan(
            context(rulesets[r] as MaskRule[]),
            fields,
            fields.map((f) => ({ table: 'public.t', column: f.name })),
          );
          // A row wider than its RowDescription: the columns past the end are scanned.
          const row = [...values, ...Array.from({ length: extra }, () => text('mail ada@example.com'))];
          expect(relayed(plan, row)).toEqual(maskDataRowToBuffer(plan, row));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('an ASCII value under a partial column mask keeps only its last characters', () => {
    const plan = planOf(
      [
        { column: 't.email', strategy: 'partial' },
        { column: 't.phone', strategy: 'partial', keep: 4 },
      ],
      [field('id', 23), field('email', 25), field('phone', 25), field('note', 25)],
    );
    expect(plan.columnRules.map((r) => r?.strategy)).toEqual([undefined, 'partial', 'partial', undefined]);
    const row = [text('1'), text('user1@example.com'), text('+1-555-0000001'), null];
    const out = relayed(plan, row);
    expect(out).toEqual(maskDataRowToBuffer(plan, row));
    expect(out.toString('latin1')).toContain('*************.com');
    expect(out.toString('latin1')).toContain('**********0001');
    expect(out.toString('latin1')).not.toContain('user1');
    // Short values are starred whole; non-ASCII values take the string path.
    const short = [text('2'), text('a@b.c'), text('+1-5'), text('x')];
    expect(relayed(plan, short).toString('latin1')).toContain('*****');
    const unicode = [text('3'), text('ünïcödé@example.com'), text('☎ 555 0100 2'), null];
    expect(relayed(plan, unicode)).toEqual(maskDataRowToBuffer(plan, unicode));
    expect(relayed(plan, unicode).toString()).not.toContain('ünïcödé');
  });
});
