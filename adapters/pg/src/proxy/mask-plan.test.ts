import { createMasker, type MaskRule, REDACTED } from '@portcullis/core';
import { describe, expect, test } from 'vitest';
import { type FieldDescription, readDataRow } from '../protocol/backend-messages.js';
import { writeDataRow } from '../protocol/backend-writers.js';
import { MessageWriter } from '../protocol/message-writer.js';
import {
  createRowPlan,
  type MaskContext,
  maskDataRowBody,
  maskDataRowToBuffer,
  withResultFormats,
  withToldTypes,
} from './mask-plan.js';

function context(rules: MaskRule[]): MaskContext {
  return {
    masker: createMasker({ rules }),
    hasColumnRules: rules.some((r) => 'column' in r),
    hasTextRules: rules.some((r) => 'detector' in r || 'pattern' in r),
  };
}

function field(name: string, typeOid: number, format: number): FieldDescription {
  return { name, tableOid: 1, attributeNumber: 1, typeOid, typeSize: -1, typeModifier: -1, format };
}

/** The plan for columns of table `t`. */
function planOf(rules: MaskRule[], fields: FieldDescription[]) {
  return createRowPlan(
    context(rules),
    fields,
    fields.map((f) => ({ table: 't', column: f.name })),
  );
}

/** The row as the client would read it: the DataRow body after its 5-byte header. */
function masked(rules: MaskRule[], fields: FieldDescription[], values: (Buffer | null)[]) {
  return readDataRow(maskDataRowToBuffer(planOf(rules, fields), values).subarray(5));
}

const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

describe('binary-format masking', () => {
  test('textual types get the mask text, JSON types a JSON string, jsonb with its version byte', () => {
    const rules: MaskRule[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => ({
      column: `t.${c}`,
      strategy: 'redact',
    }));
    const fields = [
      field('a', 25, 1),
      field('b', 1043, 1),
      field('c', 1042, 1),
      field('d', 19, 1),
      field('e', 114, 1),
      field('f', 3802, 1),
    ];
    const out = masked(rules, fields, [
      Buffer.from('x@y.z'),
      Buffer.from('x@y.z'),
      Buffer.from('x@y.z     '),
      Buffer.from('xy'),
      Buffer.from('{"a":1}'),
      Buffer.concat([Buffer.from([1]), Buffer.from('{"a":1}')]),
    ]);
    expect(out.slice(0, 4).map((v) => v?.toString())).toEqual([REDACTED, REDACTED, REDACTED, REDACTED]);
    expect(JSON.parse(out[4]!.toString())).toBe(REDACTED);
    expect(out[5]![0]).toBe(1);
    expect(JSON.parse(out[5]!.subarray(1).toString())).toBe(REDACTED);
  });

  test('other types become NULL when masked and pass untouched otherwise', () => {
    const out = masked(
      [{ column: 't.n', strategy: 'partial', keep: 2 }],
      [field('n', 23, 1), field('m', 23, 1)],
      [int4(1234), int4(5678)],
    );
    expect(out[0]).toBeNull();
    expect(out[1]).toEqual(int4(5678));
  });

  test("the 'null' strategy gives NULL in either format", () => {
    const out = masked(
      [{ column: 't.a', strategy: 'null' }],
      [field('a', 25, 1), field('a', 25, 0)],
      [Buffer.from('secret'), Buffer.from('secret')],
    );
    expect(out).toEqual([null, null]);
  });

  test('detectors read binary text values and leave opaque ones alone', () => {
    const out = masked(
      [{ detector: 'email', strategy: 'redact' }],
      [field('a', 1043, 1), field('b', 17, 1)],
      [Buffer.from('mail ada@example.com now'), Buffer.from('ada@example.com')],
    );
    expect(out[0]!.toString()).toBe(`mail ${REDACTED} now`);
    expect(out[1]!.toString()).toBe('ada@example.com');
  });

  test('a jsonb value of an unknown version is treated as opaque: NULL when masked', () => {
    const out = masked(
      [{ column: 't.f', strategy: 'redact' }],
      [field('f', 3802, 1)],
      [Buffer.from([2, 0x7b, 0x7d])],
    );
    expect(out).toEqual([null]);
  });
});

describe('the columns as the client is told of them (clientFields)', () => {
  const rules: MaskRule[] = [
    { column: 't.id', strategy: 'redact' },
    { column: 't.born', strategy: 'partial' },
    { column: 't.ward', strategy: 'null' },
    { column: 't.name', strategy: 'redact' },
    { column: 't.doc', strategy: 'redact' },
  ];
  const plan = (fields: FieldDescription[]) => planOf(rules, fields);

  test('a column rule other than null on a text-format non-textual column declares it text', () => {
    const fields = [
      field('id', 23, 0),
      field('born', 1082, 0),
      field('ward', 23, 0),
      field('name', 1043, 0),
      field('doc', 3802, 0),
      field('other', 23, 0),
    ];
    expect(plan(fields).clientFields?.map((f) => [f.name, f.typeOid, f.typeSize, f.typeModifier])).toEqual([
      ['id', 25, -1, -1],
      ['born', 25, -1, -1],
      ['ward', 23, -1, -1],
      ['name', 1043, -1, -1],
      ['doc', 3802, -1, -1],
      ['other', 23, -1, -1],
    ]);
  });

  test('nothing is declared when no such column is masked, or the column is bound binary', () => {
    expect(plan([field('name', 25, 0), field('other', 23, 0)]).clientFields).toBeUndefined();
    const statementPlan = plan([field('id', 23, 0), field('born', 1082, 0)]);
    expect(statementPlan.clientFields).toBeDefined();
    expect(withResultFormats(statementPlan, [1]).clientFields).toBeUndefined();
    expect(withResultFormats(statementPlan, [0, 1]).clientFields?.map((f) => f.typeOid)).toEqual([25, 1082]);
  });

  test('a column the client was told is of its own type gets NULL instead of the mask (withToldTypes)', () => {
    const fields = [
      field('id', 23, 0),
      field('born', 1082, 0),
      field('name', 1043, 0),
      field('other', 23, 0),
    ];
    const declared = plan(fields);
    const row = [Buffer.from('7'), Buffer.from('1990-04-01'), Buffer.from('Ada'), Buffer.from('8')];
    // Told int4 and date (described before the masks), or text for id (described since).
    for (const [told, expected] of [
      [
        [23, 1082, 1043, 23],
        [null, null, REDACTED, '8'],
      ],
      [
        [25, 1082, 1043, 23],
        [REDACTED, null, REDACTED, '8'],
      ],
      [
        [25, 25, 1043, 23],
        [REDACTED, '******4-01', REDACTED, '8'],
      ],
    ] as const) {
      const adjusted = withToldTypes(declared, told);
      const full = readDataRow(maskDataRowToBuffer(adjusted, row).subarray(5));
      expect(full.map((v) => v?.toString() ?? null)).toEqual(expected);
      // The relay's path (the partial mask's in-place stars included) says the same.
      const w = new MessageWriter();
      writeDataRow(w, row);
      const out = new MessageWriter();
      expect(maskDataRowBody(adjusted, w.flush().subarray(5), out)).toBe(true);
      expect(out.flush()).toEqual(maskDataRowToBuffer(adjusted, row));
    }
    // Told what the plan declares: the plan itself.
    expect(withToldTypes(declared, [25, 25, 1043, 23])).toBe(declared);
  });
});
