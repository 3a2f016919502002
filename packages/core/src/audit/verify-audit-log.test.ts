import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from './audit-record.js';
import { canonicalJson, chainAuditRecord, GENESIS_HASH, verifyAuditLog, verifyAuditLogs } from './index.js';

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
    expect(result).toEqual({ ok: true, records: 4, firstSeq: 1, lastHash: JSON.parse(lines[3]!).hash });
    expect(await verifyAuditLog([])).toEqual({ ok: true, records: 0, firstSeq: 1, lastHash: GENESIS_HASH });
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

describe('a chain taken up at its first record', () => {
  it('accepts a log whose older records were removed on purpose, and checks what follows', async () => {
    const lines = chain(6).slice(2);
    expect(await verifyAuditLog(lines)).toMatchObject({
      ok: false,
      line: 1,
      reason: expect.stringMatching(/seq is 3 where 1 was expected/),
    });
    expect(await verifyAuditLog(lines, { from: 'first-record' })).toEqual({
      ok: true,
      records: 4,
      firstSeq: 3,
      lastHash: JSON.parse(lines[3]!).hash,
    });
    // The first record is still checked against its own hash, and the rest against it.
    const altered = [lines[0]!.replace('select 3', 'select 33'), ...lines.slice(1)];
    expect(await verifyAuditLog(altered, { from: 'first-record' })).toMatchObject({ ok: false, line: 1 });
    expect(await verifyAuditLog([lines[0]!, lines[2]!], { from: 'first-record' })).toMatchObject({
      ok: false,
      line: 2,
      seq: 4,
    });
  });
});

describe('verifyAuditLogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-verify-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = (parts: string[][]) =>
    parts.map((part, i) => {
      const path = join(dir, `part-${i}-${Math.random().toString(36).slice(2)}.jsonl`);
      writeFileSync(path, part.map((l) => `${l}\n`).join(''));
      return path;
    });

  it('checks files in order as one chain, and names the file where it breaks', async () => {
    const lines = chain(9);
    const [a, b, c] = files([lines.slice(0, 4), lines.slice(4, 7), lines.slice(7)]) as [
      string,
      string,
      string,
    ];
    expect(await verifyAuditLogs([a, b, c])).toEqual({
      ok: true,
      records: 9,
      firstSeq: 1,
      lastHash: JSON.parse(lines[8]!).hash,
    });
    // A file missing from the middle, or two out of order.
    expect(await verifyAuditLogs([a, c])).toMatchObject({ ok: false, file: c, line: 1, seq: 5 });
    expect(await verifyAuditLogs([b, a, c], { from: 'first-record' })).toMatchObject({
      ok: false,
      file: a,
      line: 1,
    });
    // Older files removed: taken up at the first one left.
    expect(await verifyAuditLogs([b, c], { from: 'first-record' })).toMatchObject({
      ok: true,
      records: 5,
      firstSeq: 5,
    });
    // A file that ends in part of a line, even one followed by others.
    const [cut] = files([lines.slice(4, 7)]) as [string];
    writeFileSync(cut, `${lines.slice(4, 7).join('\n')}\n${lines[7]!.slice(0, 30)}`);
    expect(await verifyAuditLogs([a, cut, c])).toMatchObject({
      ok: false,
      file: cut,
      line: 4,
      reason: expect.stringMatching(/truncated/),
    });
  });
});
