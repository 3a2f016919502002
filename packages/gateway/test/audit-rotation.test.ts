import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  createJsonlAuditSink,
  rotatedAuditLogName,
  rotatedAuditLogs,
} from '@portcullis/core';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { runAuditTail } from '../src/cli/audit-command.js';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { captureIo, runCli } from './cli-helpers.js';
import { startHttpGateway } from './support/http-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-audit-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const record = (): AuditRecord => {
  n += 1;
  return {
    id: `r-${n}`,
    time: '2026-11-27T03:00:00Z',
    session_id: 's-1',
    subject: { id: 'agent-7', kind: 'agent', groups: [] },
    resource: { type: 'postgres', name: 'prod-db' },
    source: '127.0.0.1',
    action: { type: 'sql', summary: `SELECT ${n}` },
    effect: 'allow',
    reasons: [],
    masks: [],
    durations: {},
  };
};

/** A log of `count` records rotated every `rotateBytes`, with fsync (rotation in the write queue). */
async function rotatedLog(name: string, count: number, rotateBytes = 1500): Promise<string> {
  const path = join(mkdtempSync(join(dir, `${name}-`)), 'audit.jsonl');
  const sink = await createJsonlAuditSink({ path, fsync: true, rotateBytes });
  for (let i = 0; i < count; i++) await sink.write(record());
  await sink.close();
  return path;
}

describe('audit.rotate_size', () => {
  const base = {
    resources: [{ type: 'http', name: 'api', listen: { port: 0 }, upstream: { url: 'http://127.0.0.1:1' } }],
  };
  const rotateBytes = (value: unknown) =>
    validateConfig({ ...base, audit: { rotate_size: value } }, dir).audit.rotateBytes;

  it('takes bytes or a size with a binary unit; absent or 0 never rotates', () => {
    expect(validateConfig(base, dir).audit.rotateBytes).toBe(0);
    expect(rotateBytes(0)).toBe(0);
    expect(rotateBytes(65536)).toBe(65536);
    expect(rotateBytes('512MiB')).toBe(512 * 1024 ** 2);
    expect(rotateBytes('1GiB')).toBe(1024 ** 3);
    expect(rotateBytes('64 KiB')).toBe(65536);
    for (const bad of ['1GB', '-1', 1.5, 'big', '']) {
      expect(() => rotateBytes(bad)).toThrow(ConfigError);
      expect(() => rotateBytes(bad)).toThrow(/audit\.rotate_size.*expected a size such as 512MiB/);
    }
  });
});

describe('portcullis audit verify, rotated', () => {
  it('checks the rotated files and the current one as one chain', async () => {
    const path = await rotatedLog('verify', 20);
    const files = await rotatedAuditLogs(path);
    expect(files.length).toBeGreaterThan(3);
    const ok = await runCli(['audit', 'verify', path]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(`ok, 20 records \\(seq 1–20\\) in ${files.length + 1} files, last hash [0-9a-f]{64}`),
    );
  });

  it('names the file where the chain breaks: one altered, one missing from the middle', async () => {
    const path = await rotatedLog('broken', 20);
    const files = await rotatedAuditLogs(path);
    const second = files[1]!.path;
    const original = readFileSync(second, 'utf8');
    writeFileSync(second, original.replace('"effect":"allow"', '"effect":"deny"'));
    const altered = await runCli(['audit', 'verify', path]);
    expect(altered.code).toBe(1);
    expect(altered.stdout).toContain(`BROKEN in ${second} at line 1 (seq ${files[1]!.firstSeq})`);
    expect(altered.stdout).toContain('a field was altered');
    unlinkSync(second);
    const missing = await runCli(['audit', 'verify', path]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`BROKEN in ${files[2]!.path} at line 1 (seq ${files[1]!.firstSeq})`);
  });

  it('after older files were removed on purpose, verifies from the oldest left with --from-oldest', async () => {
    const path = await rotatedLog('pruned', 20);
    const files = await rotatedAuditLogs(path);
    unlinkSync(files[0]!.path);
    unlinkSync(files[1]!.path);
    const strict = await runCli(['audit', 'verify', path]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(`seq is ${files[2]!.firstSeq} where 1 was expected`);
    expect(strict.stdout).toContain('--from-oldest verifies from the oldest one left');
    const partial = await runCli(['audit', 'verify', path, '--from-oldest']);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain(`ok, ${21 - files[2]!.firstSeq} records (seq ${files[2]!.firstSeq}–20)`);
  });
});

describe('portcullis audit tail, rotated', () => {
  it('takes the last records from the files rotated out when the current one holds fewer', async () => {
    const path = await rotatedLog('tail-n', 20);
    const inCurrent = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).length;
    expect(inCurrent).toBeLessThan(12);
    const result = await runCli(['audit', 'tail', path, '-n', '12', '--json']);
    expect(result.code).toBe(0);
    const seqs = result.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 9));
  });
});

describe('portcullis audit tail --follow, rotated', () => {
  it('carries on into the new file, the chain checked across the rotation', async () => {
    const path = join(mkdtempSync(join(dir, 'tail-')), 'audit.jsonl');
    // The gateway's mode: synchronous writes, rotation in the background.
    const sink = await createJsonlAuditSink({ path, rotateBytes: 1500 });
    for (let i = 0; i < 2; i++) await sink.write(record());
    const c = captureIo();
    const controller = new AbortController();
    const running = runAuditTail(
      path,
      { follow: true, json: true, intervalMs: 5, signal: controller.signal },
      c.io,
    );
    onTestFinished(() => controller.abort());
    await vi.waitFor(() => expect(c.stdout().trim().split('\n')).toHaveLength(2));
    for (let i = 0; i < 30; i++) {
      await sink.write(record());
      await new Promise((r) => setTimeout(r, 3));
    }
    await sink.close();
    expect((await rotatedAuditLogs(path)).length).toBeGreaterThan(3);
    await vi.waitFor(() => expect(c.stdout().trim().split('\n')).toHaveLength(32), { timeout: 5000 });
    const seqs = c
      .stdout()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(c.stderr()).toBe('');
    controller.abort();
    expect(await running).toBe(0);
  });
});

describe('portcullis audit tail --follow, a rotation as the writer sees it', () => {
  /** A log of 3 records, and the 4th and 5th that continue it. */
  async function logAndNext(name: string): Promise<{ path: string; fourth: string; fifth: string }> {
    const home = mkdtempSync(join(dir, `${name}-`));
    const full = join(home, 'full.jsonl');
    const sink = await createJsonlAuditSink({ path: full });
    for (let i = 0; i < 5; i++) await sink.write(record());
    await sink.close();
    const lines = readFileSync(full, 'utf8').trim().split('\n');
    const path = join(home, 'audit.jsonl');
    writeFileSync(path, `${lines.slice(0, 3).join('\n')}\n`);
    return { path, fourth: lines[3] as string, fifth: lines[4] as string };
  }

  it('keeps reading the renamed file until the new one continues the chain', async () => {
    const { path, fourth, fifth } = await logAndNext('late');
    const c = captureIo();
    const controller = new AbortController();
    const running = runAuditTail(
      path,
      { follow: true, json: true, lines: '0', intervalMs: 5, signal: controller.signal },
      c.io,
    );
    onTestFinished(() => controller.abort());
    await new Promise((r) => setTimeout(r, 30));
    // The writer has renamed its file and a new one is at the path, with a record that comes
    // after one still to be written to the old file (it has not switched yet).
    renameSync(path, rotatedAuditLogName(path, 1));
    writeFileSync(path, `${fifth}\n`);
    await new Promise((r) => setTimeout(r, 60));
    expect(c.stdout()).toBe('');
    appendFileSync(rotatedAuditLogName(path, 1), `${fourth}\n`);
    await vi.waitFor(() => expect(c.stdout().trim().split('\n')).toEqual([fourth, fifth]));
    expect(c.stderr()).toBe('');
    controller.abort();
    expect(await running).toBe(0);
  });

  it('reports a new file that never continues the chain', async () => {
    const { path, fifth } = await logAndNext('gap');
    const c = captureIo();
    const running = runAuditTail(path, { follow: true, json: true, lines: '0', intervalMs: 5 }, c.io);
    await new Promise((r) => setTimeout(r, 30));
    renameSync(path, rotatedAuditLogName(path, 1));
    writeFileSync(path, `${fifth}\n`);
    expect(await running).toBe(1);
    expect(c.stderr()).toContain('was rotated, and its new file does not continue the chain');
  });
});

describe('a gateway with audit.rotate_size', () => {
  it('rotates its log as requests are audited, and the files verify as one chain', async () => {
    const home = mkdtempSync(join(dir, 'gateway-'));
    const auditPath = join(home, 'audit.jsonl');
    const running = await startHttpGateway({ home, audit: { path: auditPath, rotate_size: '4KiB' } });
    onTestFinished(() => running.close());
    for (let i = 0; i < 40; i++) expect(await running.get(`/items/${i}`)).toBe(200);
    await running.close();
    const rotated = await rotatedAuditLogs(auditPath);
    expect(rotated.length).toBeGreaterThan(2);
    expect(running.lines.filter((l) => l.msg === 'audit log rotated').map((l) => l.rotated)).toEqual(
      rotated.map((f) => f.path),
    );
    const verified = await runCli(['audit', 'verify', auditPath]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/ok, \d+ records \(seq 1–\d+\) in \d+ files/);
    // Every request's record is in one of the files.
    const all = [...rotated.map((f) => f.path), auditPath].flatMap((p) =>
      readFileSync(p, 'utf8').trim().split('\n').filter(Boolean),
    );
    for (let i = 0; i < 40; i++) expect(all.some((l) => l.includes(`/items/${i}"`))).toBe(true);
  });
});
