import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditRecord, createJsonlAuditSink } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { runAuditTail } from '../src/cli/audit-command.js';
import { captureIo, runCli } from './cli-helpers.js';

const record = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  id: `r-${n}`,
  time: `2026-11-25T21:00:${String(n).padStart(2, '0')}Z`,
  session_id: 's-1',
  subject: { id: n % 2 ? 'agent-7' : 'alice', kind: n % 2 ? 'agent' : 'human', groups: [] },
  resource: { type: 'postgres', name: 'prod-db' },
  source: '127.0.0.1',
  action: { type: 'sql', summary: `SELECT ${n}\n  FROM t` },
  effect: n === 3 ? 'deny' : 'allow',
  reasons: n === 3 ? [{ rule: 'sql.drop_on_prod', message: 'no' }] : [],
  masks: [],
  durations: {},
  ...extra,
});

async function logWith(n: number): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'pc-tail-')), 'audit.jsonl');
  const sink = await createJsonlAuditSink({ path });
  for (let i = 1; i <= n; i++) await sink.write(record(i));
  await sink.close();
  return path;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('portcullis audit tail', () => {
  it('prints the last records for people, one line each', async () => {
    const path = await logWith(15);
    const result = await runCli(['audit', 'tail', path, '-n', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '2026-11-25T21:00:13Z  #13  agent-7 (agent)  @prod-db  allow  sql: SELECT 13 FROM t',
      '2026-11-25T21:00:14Z  #14  alice  @prod-db  allow  sql: SELECT 14 FROM t',
      '2026-11-25T21:00:15Z  #15  agent-7 (agent)  @prod-db  allow  sql: SELECT 15 FROM t',
    ]);
    const all = await runCli(['audit', 'tail', path, '-n', '100']);
    expect(all.stdout.trim().split('\n')).toHaveLength(15);
    expect(all.stdout).toContain(
      '#3  agent-7 (agent)  @prod-db  deny  sql: SELECT 3 FROM t  [sql.drop_on_prod]',
    );
  });

  it('prints the stored lines with --json', async () => {
    const path = await logWith(4);
    const result = await runCli(['audit', 'tail', path, '--json', '-n', '2']);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(result.stdout.trim().split('\n')).toEqual(lines.slice(-2));
  });

  it('reads a log larger than one read chunk from its end', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pc-tail-')), 'audit.jsonl');
    const sink = await createJsonlAuditSink({ path });
    for (let i = 1; i <= 400; i++)
      await sink.write(record(i, { action: { type: 'sql', summary: 'x'.repeat(400) } }));
    await sink.close();
    const result = await runCli(['audit', 'tail', path, '--json', '-n', '250']);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(result.stdout.trim().split('\n')).toEqual(lines.slice(-250));
  });

  it('follows records as they are appended, and only complete ones', async () => {
    const path = await logWith(2);
    const c = captureIo();
    const controller = new AbortController();
    const running = runAuditTail(
      path,
      { follow: true, json: true, intervalMs: 10, signal: controller.signal },
      c.io,
    );
    await until(() => c.stdout().split('\n').length === 3);
    const sink = await createJsonlAuditSink({ path });
    await sink.write(record(3));
    await sink.write(record(4));
    await until(() => c.stdout().trim().split('\n').length === 4);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(c.stdout().trim().split('\n')).toEqual(lines);
    await sink.close();
    // Half a record: not printed until its newline arrives. (Records here are deterministic,
    // so the fifth line of another five-record log is exactly the one this log would get.)
    const fifth = readFileSync(await logWith(5), 'utf8')
      .trim()
      .split('\n')[4]!;
    appendFileSync(path, fifth.slice(0, 100));
    await new Promise((r) => setTimeout(r, 100));
    expect(c.stdout().trim().split('\n')).toHaveLength(4);
    appendFileSync(path, `${fifth.slice(100)}\n`);
    await until(() => c.stdout().trim().split('\n').length === 5);
    expect(c.stdout().trim().split('\n')[4]).toBe(fifth);
    expect(c.stderr()).toBe('');
    controller.abort();
    expect(await running).toBe(0);
  });

  it('stops with exit 1 when an appended record breaks the chain', async () => {
    const path = await logWith(3);
    const c = captureIo();
    const controller = new AbortController();
    const running = runAuditTail(path, { follow: true, intervalMs: 10, signal: controller.signal }, c.io);
    await until(() => c.stdout().trim().split('\n').length === 3);
    const forged = JSON.parse(readFileSync(path, 'utf8').trim().split('\n')[2]!) as Record<string, unknown>;
    appendFileSync(path, `${JSON.stringify({ ...forged, seq: 4, effect: 'allow' })}\n`);
    expect(await running).toBe(1);
    expect(c.stderr()).toMatch(/chain broken: record 4 does not match its hash/);
    controller.abort();
  });

  it('names a missing log', async () => {
    const result = await runCli(['audit', 'tail', '/nonexistent/audit.jsonl']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot open /nonexistent/audit.jsonl: ENOENT');
  });
});
