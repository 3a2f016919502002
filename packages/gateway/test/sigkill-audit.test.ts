/**
 * Issue 5: "A gateway killed with SIGKILL under load has a record of every statement whose
 * result reached a client." The gateway runs as a child process (`portcullis start`) in front
 * of Debian's PostgreSQL; several clients run uniquely tagged statements through it; the
 * process is killed with SIGKILL mid-load. Every tag a client got a result for must be in
 * the JSON-lines audit log, and the log's hash chain must verify up to its last complete line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rotatedAuditLogs, verifyAuditLogs } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

const entry = fileURLToPath(new URL('./support/portcullis-source.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const CLIENTS = 6;

let cluster: PgCluster;
let child: ChildProcess | undefined;
const agentKey = generateApiKey();

beforeAll(async () => {
  cluster = await startPgCluster();
  await createDatabase(cluster, 'load');
}, 120_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await cluster?.stop();
});

/** Starts `portcullis start -c …` and resolves with the proxy's port once it listens. */
function startChild(configPath: string): Promise<number> {
  child = spawn(
    process.execPath,
    ['--conditions=portcullis-source', '--import', 'tsx', entry, 'start', '--config', configPath],
    {
      cwd: repoRoot,
      env: { ...process.env, PC_UPSTREAM_PASSWORD: cluster.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}\n${err}`)), 60_000);
    child!.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /load-db: listening on [^\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${out}\n${err}`));
    });
  });
}

describe('SIGKILL under load', () => {
  it.each([
    { rotate: undefined, name: 'one log file' },
    // Small enough to rotate every few hundred statements, so the kill can fall in a rotation.
    { rotate: '64KiB', name: 'rotated every 64 KiB' },
  ])(
    'leaves an audit record for every statement whose result reached a client: $name',
    async ({ rotate }) => {
      const dir = mkdtempSync(join(tmpdir(), 'pc-sigkill-'));
      const auditPath = join(dir, 'audit.jsonl');
      const configPath = join(dir, 'portcullis.yaml');
      writeFileSync(
        configPath,
        JSON.stringify({
          server: { listen: { port: 0 } },
          resources: [
            {
              name: 'load-db',
              labels: { env: 'dev' },
              listen: { port: 0 },
              upstream: {
                host: '127.0.0.1',
                port: cluster.port,
                database: 'load',
                user: 'postgres',
                password: 'env:PC_UPSTREAM_PASSWORD',
              },
            },
          ],
          policy: { rego: join(repoRoot, 'rego') },
          identity: { api_keys: [{ id: 'agent-load', kind: 'agent', hash: hashApiKey(agentKey, 'sha256') }] },
          state: { path: join(dir, 'state.db') },
          audit: { path: auditPath, ...(rotate ? { rotate_size: rotate } : {}) },
        }),
      );
      const port = await startChild(configPath);

      const delivered: string[] = [];
      let stop = false;
      const worker = async (n: number) => {
        const c = new pg.Client({
          host: '127.0.0.1',
          port,
          user: 'agent-load',
          password: agentKey,
          database: 'load',
        });
        c.on('error', () => {});
        await c.connect();
        for (let i = 0; !stop; i++) {
          const tag = `c${n}-${i}`;
          try {
            const { rows } = await c.query(`SELECT '${tag}' AS tag`);
            if (rows[0]?.tag === tag) delivered.push(tag);
          } catch {
            return;
          }
        }
      };
      const workers = Array.from({ length: CLIENTS }, (_, n) => worker(n));
      // Kill once the load is well under way, not at a quiet moment.
      while (delivered.length < 1000) await new Promise((r) => setTimeout(r, 20));
      const exited = new Promise((r) => child!.once('exit', r));
      child!.kill('SIGKILL');
      await exited;
      stop = true;
      await Promise.all(workers);

      // The files rotated out, then the current one (which a kill just after a rotation leaves
      // empty or missing): one chain.
      const rotated = (await rotatedAuditLogs(auditPath)).map((f) => f.path);
      if (rotate) expect(rotated.length).toBeGreaterThan(0);
      else expect(rotated).toEqual([]);
      const files = [...rotated, ...(existsSync(auditPath) ? [auditPath] : [])];
      const texts = files.map((f) => readFileSync(f, 'utf8'));
      // A record cut short by the kill can only be the last line written, at the end of the last
      // file holding any; everything before it verifies.
      const last = texts.findLastIndex((t) => t !== '');
      const completeFiles = texts.map((t, i) => {
        const path = join(dir, `complete-${i}.jsonl`);
        writeFileSync(path, i === last ? t.slice(0, t.lastIndexOf('\n') + 1) : t);
        return path;
      });
      const verified = await verifyAuditLogs(completeFiles);
      expect(verified).toMatchObject({ ok: true, firstSeq: 1 });
      const complete = completeFiles.map((f) => readFileSync(f, 'utf8')).join('');

      const audited = new Set<string>();
      for (const line of complete.split('\n')) {
        if (line === '') continue;
        const record = JSON.parse(line) as { action: { summary: string }; effect: string };
        const m = /^SELECT '(c\d+-\d+)' AS tag$/.exec(record.action.summary);
        if (m && record.effect === 'allow') audited.add(m[1]!);
      }
      console.info(
        `SIGKILL under load (${rotate ? `rotated into ${files.length} files` : 'one file'}): ${delivered.length} results delivered, ${audited.size} statements audited, ${verified.ok ? verified.records : 0} records verified`,
      );
      const missing = delivered.filter((tag) => !audited.has(tag));
      expect(delivered.length).toBeGreaterThanOrEqual(1000);
      expect(missing).toEqual([]);
      child = undefined;
    },
    120_000,
  );
});
