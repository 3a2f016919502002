import { describe, expect, it } from 'vitest';
import type { AuditRecord } from './audit-record.js';
import { canonicalJson, chainAuditRecord, GENESIS_HASH, verifyAuditLog } from './index.js';

function record(n: number): AuditRecord {
  return {
    id: `r${n}`,
    time: '2026-11-25T21:00:00Z',
    session_id: 's',
    subject: { id: 'alice', kind: 'human', groups: [] },
    resource: { type: 'postgres', name: 'db' },
    source: '',
    action: { type: 'sql', summary: `select ${n}` },
    effect: 'allow',
    reasons: [],
    masks: [],
    durations: {},
  };
}

function chain(count: number): string[] {
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= count; i++) {
    const chained = chainAuditRecord(record(i), i, prev);
    prev = chained.hash;
    lines.push(canonicalJson(chained));
  }
  return lines;
}

describe('verifyAuditLog on lines', () => {
  it('accepts an intact chain, and an empty one', async () => {
    const lines = chain(4);
    const result = await verifyAuditLog([...lines, '']);
    expect(result).toEqual({ ok: true, records: 4, lastHash: JSON.parse(lines[3]!).hash });
    expect(await verifyAuditLog([])).toEqual({ ok: true, records: 0, lastHash: GENESIS_HASH });
  });

  it('finds an altered field', async () => {
    const lines = chain(4);
    lines[2] = lines[2]!.replace('"effect":"allow"', '"effect":"deny"');
    expect(await verifyAuditLog(lines)).toMatchObject({
      ok: false,
      line: 3,
      seq: 3,
      reason: expect.stringMatching(/altered/),
    });
  });

  it('finds a re-hashed altered record by its broken link to the next', async () => {
    const lines = chain(4);
    const forged = chainAuditRecord({ ...record(2), effect: 'deny' }, 2, JSON.parse(lines[0]!).hash);
    lines[1] = canonicalJson(forged);
    expect(await verifyAuditLog(lines)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringMatching(/prev/),
    });
  });

  it('finds a removed line', async () => {
    const lines = chain(4);
    lines.splice(1, 1);
    expect(await verifyAuditLog(lines)).toMatchObject({
      ok: false,
      line: 2,
      seq: 2,
      reason: expect.stringMatching(/removed/),
    });
  });

  it('finds swapped lines', async () => {
    const lines = chain(4);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    expect(await verifyAuditLog(lines)).toMatchObject({
      ok: false,
      line: 2,
      seq: 2,
      reason: expect.stringMatching(/reordered/),
    });
  });

  it('finds a truncated line and an empty line', async () => {
    const lines = chain(3);
    expect(await verifyAuditLog([lines[0]!, lines[1]!.slice(0, 40), lines[2]!])).toMatchObject({
      ok: false,
      line: 2,
    });
    expect(await verifyAuditLog([lines[0]!, '', lines[1]!])).toMatchObject({
      ok: false,
      line: 2,
      reason: 'empty line',
    });
  });

  it('finds a record with its chain fields stripped', async () => {
    const [first] = chain(1);
    const { hash: _, ...unhashed } = JSON.parse(first!);
    expect(await verifyAuditLog([JSON.stringify(unhashed)])).toMatchObject({
      ok: false,
      line: 1,
      reason: expect.stringMatching(/hash/),
    });
  });
});
