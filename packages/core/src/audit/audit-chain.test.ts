import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainAuditLine, chainAuditRecord, GENESIS_HASH } from './audit-chain.js';
import type { AuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical-json.js';

/** Records with arbitrary extra members, keys sorting before and after `hash` among them. */
const records = fc
  .dictionary(
    fc.oneof(
      fc.string(),
      fc.constantFrom('a', 'hash', 'hash0', 'hasg', 'hasi', 'seq', 'prev', 'z', '\u00e9', 'H'),
    ),
    fc.jsonValue(),
  )
  .map((extra) => ({ ...extra, id: 'r1', effect: 'allow' }) as unknown as AuditRecord);

describe('chainAuditLine', () => {
  it('writes the line and hash that chainAuditRecord and canonicalJson make, in one serialisation', () => {
    fc.assert(
      fc.property(records, fc.nat(), (record, seq) => {
        const { chained, line } = chainAuditLine(record, seq + 1, GENESIS_HASH);
        const expected = chainAuditRecord(record, seq + 1, GENESIS_HASH);
        expect(chained).toEqual(expected);
        expect(line).toBe(canonicalJson(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('a record carrying its own hash, seq or prev gets the chain values, as chainAuditRecord does', () => {
    const record = { id: 'r', hash: 'forged', seq: 99, prev: 'x' } as unknown as AuditRecord;
    const { chained, line } = chainAuditLine(record, 3, GENESIS_HASH);
    const expected = chainAuditRecord(record, 3, GENESIS_HASH);
    expect(chained.hash).toBe(expected.hash);
    expect(line).toBe(canonicalJson(expected));
    expect(JSON.parse(line)).toMatchObject({ seq: 3, prev: GENESIS_HASH });
  });
});
