import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainAuditLine, chainAuditRecord, GENESIS_HASH } from './audit-chain.js';
import type { AuditRecord } from './audit-record.js';
import { canonicalJson, canonicalSnapshot } from './canonical-json.js';

/** Records with arbitrary extra members, keys sorting before and after `hash` among them. */
const records = fc
  .dictionary(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'a',
        'hash',
        'hash0',
        'hasg',
        'hasi',
        'seq',
        'prev',
        'z',
        '\u00e9',
        'H',
        // Around the chain's own members, where they are put in order among the record's.
        'pre',
        'prev0',
        'prew',
        'pres',
        'se',
        'sel',
        'seq0',
        'ser',
        'session_id',
      ),
    ),
    fc.jsonValue(),
  )
  .map((extra) => ({ ...extra, id: 'r1', effect: 'allow' }) as unknown as AuditRecord);

describe('chainAuditLine', () => {
  it('writes the line and hash that chainAuditRecord and canonicalJson make, in one serialisation', () => {
    fc.assert(
      fc.property(records, fc.nat(), (record, seq) => {
        const { hash, line } = chainAuditLine(record, seq + 1, GENESIS_HASH);
        const expected = chainAuditRecord(record, seq + 1, GENESIS_HASH);
        expect(hash).toBe(expected.hash);
        expect(line).toBe(canonicalJson(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('a record carrying its own hash, seq or prev gets the chain values, as chainAuditRecord does', () => {
    const record = { id: 'r', hash: 'forged', seq: 99, prev: 'x' } as unknown as AuditRecord;
    const { hash, line } = chainAuditLine(record, 3, GENESIS_HASH);
    const expected = chainAuditRecord(record, 3, GENESIS_HASH);
    expect(hash).toBe(expected.hash);
    expect(line).toBe(canonicalJson(expected));
    expect(JSON.parse(line)).toMatchObject({ seq: 3, prev: GENESIS_HASH });
  });

  it('a record with a __proto__ member is chained with it, not with a changed prototype', () => {
    const record = JSON.parse('{"id":"r","__proto__":null,"z":{"b":1,"a":2}}') as AuditRecord;
    const { hash, line } = chainAuditLine(record, 1, GENESIS_HASH);
    expect(hash).toBe(chainAuditRecord(record, 1, GENESIS_HASH).hash);
    expect(line).toBe(canonicalJson(chainAuditRecord(record, 1, GENESIS_HASH)));
    expect(line.startsWith('{"__proto__":null,')).toBe(true);
  });

  it('writes members that are snapshots from their kept JSON, the line still canonical', () => {
    fc.assert(
      fc.property(records, fc.array(fc.string(), { maxLength: 4 }), (record, keys) => {
        // Snapshot some members (all, when no key names one): nested, integer-keyed and
        // unsorted values among them, whose JSON.stringify would not be canonical.
        const withSnapshots = { ...record } as Record<string, unknown>;
        for (const key of Object.keys(withSnapshots)) {
          if (keys.length === 0 || keys.includes(key))
            withSnapshots[key] = canonicalSnapshot(withSnapshots[key]);
        }
        withSnapshots.labels = canonicalSnapshot({ 10: 'a', 2: 'b', z: { y: 1, x: [2, { b: 1, a: 0 }] } });
        const expected = chainAuditRecord(withSnapshots as unknown as AuditRecord, 4, GENESIS_HASH);
        const { hash, line } = chainAuditLine(withSnapshots as unknown as AuditRecord, 4, GENESIS_HASH);
        expect(hash).toBe(expected.hash);
        expect(line).toBe(canonicalJson(JSON.parse(JSON.stringify(expected))));
      }),
      { numRuns: 300 },
    );
  });

  it('takes the same line whether or not the record arrives with its keys sorted', () => {
    fc.assert(
      fc.property(records, (record) => {
        const sorted = Object.fromEntries(
          Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        );
        expect(chainAuditLine(sorted as AuditRecord, 2, GENESIS_HASH)).toEqual(
          chainAuditLine(record, 2, GENESIS_HASH),
        );
      }),
      { numRuns: 300 },
    );
  });
});
