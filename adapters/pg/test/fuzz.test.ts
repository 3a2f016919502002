/**
 * Fuzzing a live proxy in front of a live server: well-formed frontend message sequences,
 * mutated (bit flips, truncation, forged lengths and types, splices), before and after
 * authentication. Whatever a client sends, the proxy must not crash, must close every session
 * it opened, and must leave no upstream backend behind. A fixed seed keeps failures
 * reproducible; FUZZ_SEED picks another.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  createJsonlAuditSink,
  type Decision,
  type InputDocument,
  staticEvaluator,
  verifyAuditLog,
} from '@portcullis/core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FrontendCode, MessageWriter, type PgProxy, writeStartupMessage } from '../src/index.js';
import { readAuditRecords } from './support/audit-log.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { query, RawClient } from './support/raw-client.js';

let f: ProxyFixture;
/** Agents' writes limited to one row, so their statements run under the proxy's row guard. */
const limitedEngine = createEngine({
  evaluator: staticEvaluator((input: InputDocument): Decision => {
    const d = testPolicy(input);
    return d.effect === 'deny' || input.subject.kind !== 'agent' ? d : { ...d, limits: { affected_rows: 1 } };
  }, 'fuzz-row-limit'),
});
beforeAll(async () => {
  f = await startProxyFixture();
  proxies.push(f.proxy);
});
afterAll(async () => {
  await f?.stop();
  await limitedEngine.close();
});

/** xorshift32: small, seedable, good enough to pick mutations. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const SQL = [
  'SELECT 1',
  'SELECT id, email FROM users WHERE id = 1',
  'DROP TABLE victim',
  "INSERT INTO log VALUES ('x')",
  'SELECT * FROM payroll',
  'BEGIN; SELECT 1; COMMIT',
  'COPY users TO STDOUT',
];

/** A plausible batch of frontend messages a driver could send. */
function validBatch(pick: (n: number) => number, statements: readonly string[]): Buffer {
  const w = new MessageWriter();
  const sql = statements[pick(statements.length)] as string;
  const name = pick(2) ? '' : `s${pick(4)}`;
  switch (pick(5)) {
    case 0:
      w.begin(FrontendCode.Query).cstring(sql).end();
      break;
    case 1:
      w.begin(FrontendCode.Parse).cstring(name).cstring(sql).int16(1).int32(23).end();
      w.begin(FrontendCode.Bind).cstring('').cstring(name).int16(1).int16(0).int16(1).int32(1);
      w.bytes(Buffer.from('1')).int16(1).int16(pick(2)).end();
      w.begin(FrontendCode.Describe).byte(0x50).cstring('').end();
      w.begin(FrontendCode.Execute).cstring('').int32(pick(3)).end();
      w.begin(FrontendCode.Sync).end();
      break;
    case 2:
      w.begin(FrontendCode.Describe)
        .byte(pick(2) ? 0x53 : 0x50)
        .cstring(name)
        .end();
      w.begin(FrontendCode.Close).byte(0x53).cstring(name).end();
      w.begin(FrontendCode.Flush).end();
      w.begin(FrontendCode.Sync).end();
      break;
    case 3:
      w.begin(FrontendCode.CopyData).bytes(Buffer.from('1\tx\n')).end();
      w.begin(FrontendCode.CopyDone).end();
      w.begin(FrontendCode.FunctionCall).int32(1).int16(0).int16(0).int16(0).end();
      break;
    default:
      w.begin(FrontendCode.Execute)
        .cstring(`p${pick(3)}`)
        .int32(0)
        .end();
      w.begin(FrontendCode.Sync).end();
  }
  return w.flush();
}

function mutate(input: Buffer, pick: (n: number) => number): Buffer {
  const b = Buffer.from(input);
  switch (pick(6)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + pick(4); i < n; i++) {
        const at = pick(b.length);
        b[at] = (b[at] as number) ^ (1 << pick(8));
      }
      return b;
    case 1: // truncated mid-message
      return b.subarray(0, pick(b.length));
    case 2: // a forged length word on the first message
      b.writeInt32BE([0, 3, 4, 0x7fffffff, -1, b.length * 2][pick(6)] as number, 1);
      return b;
    case 3: // an unknown or out-of-phase type byte
      b[0] = [0, 0xff, 0x70, 0x52, 0x44, 0x58][pick(6)] as number;
      return b;
    case 4: // a splice of random bytes
      return Buffer.concat([b.subarray(0, pick(b.length)), Buffer.from([pick(256), pick(256), pick(256)])]);
    default:
      return b;
  }
}

async function clientBackends(): Promise<number> {
  const c = await f.direct();
  try {
    const r = await c.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'app' AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return r.rows[0].n;
  } finally {
    await c.end();
  }
}

/** The proxies the tests started, whose kept catalog connections are backends they hold on purpose. */
const proxies: PgProxy[] = [];

/** Connections kept for later sessions (`upstream.catalogPool`, `upstream.reuse`), at most 8 each per proxy. */
function kept(): number {
  let n = 0;
  for (const p of proxies) {
    expect(p.catalogIdle).toBeLessThanOrEqual(8);
    expect(p.upstreamReuse.idle).toBeLessThanOrEqual(8);
    n += p.catalogIdle + p.upstreamReuse.idle;
  }
  return n;
}

async function settle(baseline: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (f.proxy.sessions === 0 && (await clientBackends()) <= baseline + kept()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(f.proxy.sessions).toBe(0);
  expect(await clientBackends()).toBeLessThanOrEqual(baseline + kept());
}

const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);

/**
 * Sessions of valid and mutated batches, each ended politely or cut. With `warm`, each session
 * first runs one of the statements twice and waits for the answers, so that the native lane
 * has it registered and is relaying when the batches come (the same Query among them).
 */
async function fuzzSessions(
  port: number,
  pick: (n: number) => number,
  statements: readonly string[],
  options: {
    warm?: boolean;
    /** Some sessions end with Terminate after their batches, as a client that logs off does. */
    terminate?: boolean;
    /** Run first in every session that logged in. */
    first?: (raw: RawClient) => Promise<void>;
  } = {},
): Promise<void> {
  const { warm = false, terminate = false } = options;
  for (let i = 0; i < 40; i++) {
    const user = pick(2) ? 'alice' : 'agent';
    // Warm sessions log in: what is fuzzed there is the lane's side of a live session; so do
    // sessions that may log off, so that some hand on their connections.
    const password = warm || terminate || pick(2) ? `${user}-pw` : 'wrong-pw';
    const raw = await RawClient.connect(port, user, password);
    if (options.first && password !== 'wrong-pw') await options.first(raw);
    const repeated = warm
      ? query(new MessageWriter(), statements[pick(statements.length)] as string).flush()
      : undefined;
    if (repeated) {
      for (let k = 1; k <= 2; k++) {
        raw.write(repeated);
        await raw.readyCount(k);
      }
    }
    for (let j = 0, n = 1 + pick(4); j < n; j++) {
      const batch = repeated && pick(2) ? repeated : validBatch(pick, statements);
      raw.write(pick(3) === 0 ? batch : mutate(batch, pick));
    }
    await new Promise((r) => setTimeout(r, 5 + pick(20)));
    // Half leave politely mid-stream, half vanish.
    if (terminate && pick(2)) {
      // As a driver logs off: once its answers have come (or the proxy has closed on it).
      await new Promise((r) => setTimeout(r, 100));
      raw.write(new MessageWriter().begin(FrontendCode.Terminate).end().flush());
      raw.socket.end();
    } else if (pick(2)) raw.end();
    else raw.socket.destroy();
  }
}

test('mutated frontend messages after authentication: no crash, no leaked session or backend', async () => {
  const baseline = (await clientBackends()) - kept();
  await fuzzSessions(f.port, prng(seed), SQL);
  await settle(baseline);
  const c = await f.through('alice');
  expect((await c.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  await c.end();
}, 60_000);

test('the same with writes under a row limit: no crash, no hang, no leaked session or backend', async () => {
  const limited = await f.anotherProxy({ engine: limitedEngine });
  proxies.push(limited.proxy);
  const writes = [
    "INSERT INTO log VALUES ('x')",
    "INSERT INTO log VALUES ('a'), ('b')",
    "UPDATE log SET note = 'y'",
    'DELETE FROM log',
    'BEGIN',
    'COMMIT',
    'COPY log FROM STDIN',
    'WITH d AS (DELETE FROM log RETURNING 1) SELECT count(*) FROM d',
  ];
  const baseline = (await clientBackends()) - kept();
  await fuzzSessions(limited.port, prng(seed + 2), writes);
  await settle(baseline);
  // What the fuzzing left in the table is cleared directly: more than the agent may delete.
  const direct = await f.direct();
  await direct.query('DELETE FROM log');
  await direct.end();
  const agent = await f.through('agent', undefined, { port: limited.port });
  try {
    await agent.query("INSERT INTO log VALUES ('z')");
    await expect(agent.query("INSERT INTO log VALUES ('a'), ('b')")).rejects.toMatchObject({ code: '42501' });
    expect((await agent.query('SELECT count(*)::int AS n FROM log')).rows).toEqual([{ n: 1 }]);
  } finally {
    await agent.end();
  }
}, 60_000);

test('the same on audited sessions, on the native lane: no crash, no leaked session, an intact log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-fuzz-audit-'));
  const path = join(dir, 'audit.jsonl');
  const log = await createJsonlAuditSink({ path });
  try {
    const audited = await f.anotherProxy({ audit: log, recordSession: true, decisionsHold: () => true });
    proxies.push(audited.proxy);
    const baseline = (await clientBackends()) - kept();
    // What the lane takes (single reads and writes with nothing to mask, transaction
    // statements), and some it does not.
    const statements = [
      'SELECT 1',
      'SELECT id, name FROM users WHERE id = 1',
      "INSERT INTO log VALUES ('x')",
      'BEGIN',
      'COMMIT',
      'DROP TABLE victim',
      'SELECT id, email FROM users WHERE id = 1',
    ];
    await fuzzSessions(audited.port, prng(seed + 3), statements, { warm: true });
    // A clean session after it, whose repeats the lane relays: the proxy still serves, lane and all.
    const relayed = audited.proxy.nativeLane.statements;
    // The fuzz reached the lane: sessions it relayed for handed back what came after.
    expect(audited.proxy.nativeLane.handoffs).toBeGreaterThanOrEqual(10);
    const c = await f.through('alice', undefined, { port: audited.port });
    for (let i = 0; i < 4; i++) expect((await c.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    await c.end();
    const deadline = Date.now() + 15_000;
    while (audited.proxy.sessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(audited.proxy.sessions).toBe(0);
    expect(audited.proxy.nativeLane.statements).toBeGreaterThan(relayed);
    await settle(baseline);
    await new Promise((r) => setTimeout(r, 50));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true });
    // No completion without the decision record before it.
    const decided = new Set<string>();
    for (const r of readAuditRecords(path)) {
      if (r.stage === undefined && r.decision_id !== undefined) decided.add(r.decision_id);
      else if (r.stage === 'completion') expect(decided.has(r.decision_id ?? '')).toBe(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('with upstream reuse: sessions that log off mid-stream hand on only clean connections', async () => {
  const reusing = await f.anotherProxy({ upstream: { ...f.upstream, reuse: true } });
  proxies.push(reusing.proxy);
  const baseline = (await clientBackends()) - kept();
  // State a reset must clear, among what is fuzzed.
  const statements = [...SQL, 'SET search_path = nowhere', 'CREATE TEMP TABLE scratch (x int)', 'BEGIN'];
  // Every session that logs in first checks that its backend is clean, whichever it got.
  const clean = async (raw: RawClient) => {
    const from = raw.messages.length;
    raw.write(
      query(
        new MessageWriter(),
        "SELECT current_setting('search_path') || ' ' || coalesce(to_regclass('pg_temp.scratch')::text, '-') || ' ' || (SELECT count(*) FROM pg_prepared_statements)",
      ).flush(),
    );
    const row = await raw.waitFor((m) => m.type === 'D' && raw.messages.indexOf(m) >= from);
    expect(row.body.subarray(6).toString()).toBe('"$user", public - 0');
    const ready = await raw.waitFor((m) => m.type === 'Z' && raw.messages.indexOf(m) > from);
    expect(ready.body.toString()).toBe('I');
  };
  await fuzzSessions(reusing.port, prng(seed + 4), statements, { terminate: true, first: clean });
  for (let i = 0; i < 100 && reusing.proxy.sessions > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(reusing.proxy.sessions).toBe(0);
  await settle(baseline);
  // Sessions did start on connections fuzzed sessions had left.
  expect(reusing.proxy.upstreamReuse.handedOn).toBeGreaterThan(0);
}, 60_000);

test('mutated startup packets: no crash, no leaked session or backend', async () => {
  const baseline = (await clientBackends()) - kept();
  const pick = prng(seed + 1);
  const w = new MessageWriter();
  for (let i = 0; i < 40; i++) {
    writeStartupMessage(w, { user: pick(2) ? 'alice' : 'x'.repeat(pick(40)), database: 'app' });
    const startup = w.flush();
    // Startup packets have no type byte: mutate with a type byte in front, then drop it.
    const bytes =
      pick(4) === 0 ? startup : mutate(Buffer.concat([Buffer.from([0]), startup]), pick).subarray(1);
    const socket = connect({ host: '127.0.0.1', port: f.port });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve).once('error', resolve));
    socket.write(bytes);
    socket.write(Buffer.from([pick(256), pick(256), pick(256), pick(256), pick(256)]));
    await new Promise((r) => setTimeout(r, 5 + pick(15)));
    socket.destroy();
  }
  await settle(baseline);
}, 60_000);
