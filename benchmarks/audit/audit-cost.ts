/**
 * What one audit record costs the process that writes it, in two parts, each side by side
 * with the way it was done before (fd59ab0):
 *
 * - building and chaining a record of the shipped library's own decision for an agent's
 *   SELECT (`auditRecordFromDecision`, then `chainAuditLine`); run the same file in another
 *   checkout for its before.
 * - serialisation: `chainAuditLine` (canonical JSON, SHA-256 chain hash, the line) on a pg
 *   decision record as `auditRecordFromDecision` builds it, keys in sorted order, which
 *   takes the native serialiser; the same record with every object's keys in reverse order,
 *   which takes the general path that sorts and joins in JavaScript (what every record took
 *   before); and `JSON.stringify` alone, as a floor.
 * - the gateway's SQLite audit index: an insert prepared again for every record and
 *   committed on its own (before), the same with the statement prepared once, and batches of
 *   2, 8 and 32 records in one transaction (`AuditIndex.addMany`), and batches of 32 whose
 *   commit waits for the disk (the state file's `synchronous = FULL`, which the index's own
 *   batches leave aside).
 * - the index as it grows to GROWTH_ROWS rows, in batches of 250, keyed on random (version 4)
 *   record ids as before and on time-ordered (version 7) ids as now: µs per record over each
 *   100k rows.
 * - pruning (audit.index_retention): ms one delete of the oldest 1000 or 5000 entries holds
 *   the event loop, in an index of 250k.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/audit/audit-cost.ts
 *
 * Settings (environment): RUNS (9) medians over runs of CALLS (5000) records each;
 * GROWTH_ROWS (500000) and GROWTH_RUNS (3) for the growth (0 leaves it out); PRUNE_ROWS
 * (250000; 0 leaves pruning out); OUT writes the medians and every run as JSON.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  auditRecordFromDecision,
  createEngine,
  newAuditRecordId,
  staticEvaluator,
} from '@portcullis/core';
import { chainAuditLine } from '../../packages/core/src/audit/audit-chain.js';
import { AuditIndex } from '../../packages/gateway/src/state/audit-index.js';
import { openStateDatabase } from '../../packages/gateway/src/state/state-database.js';
import { shippedPolicyEvaluator } from '../support/bench-evaluator.js';
import { median } from '../support/median.js';

const RUNS = Number(process.env.RUNS ?? 9);
const CALLS = Number(process.env.CALLS ?? 5000);
const GROWTH_ROWS = Number(process.env.GROWTH_ROWS ?? 500_000);
const GROWTH_RUNS = Number(process.env.GROWTH_RUNS ?? 3);
const GROWTH_BATCH = 250;
const GROWTH_STEP = 100_000;
const PRUNE_ROWS = Number(process.env.PRUNE_ROWS ?? 250_000);
const PRUNE_CHUNKS = [1000, 5000];
const PRUNE_DELETES = 9;

/** Microseconds per call of `fn`, one number per run, after a warm-up run. */
function perCall(fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) fn(run * CALLS + i);
    const us = Number(process.hrtime.bigint() - start) / 1000 / CALLS;
    if (run >= 0) out.push(us);
  }
  return out;
}

/** The same value with every object's keys inserted in reverse sorted order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort().reverse())
    out[key] = reversed((value as Record<string, unknown>)[key]);
  return out;
}

// A decision as the shipped policy returns it for an agent on a prod database: allow, with
// its nine detector masks (the masks of `results/` records in benchmarks/pg).
const masks = [
  { detector: 'api_token', strategy: 'redact' },
  { detector: 'aws_access_key', strategy: 'redact' },
  { detector: 'credit_card', keep: 4, strategy: 'partial' },
  { detector: 'email', strategy: 'partial' },
  { detector: 'iban', keep: 4, strategy: 'partial' },
  { detector: 'jwt', strategy: 'redact' },
  { detector: 'phone', keep: 4, strategy: 'partial' },
  { detector: 'private_key', strategy: 'redact' },
  { detector: 'us_ssn', strategy: 'redact' },
] as const;
const engine = createEngine({
  evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: masks.map((m) => ({ ...m })) }),
});
const request = {
  subject: { id: 'bench-postgres', kind: 'agent', groups: [] },
  resource: { type: 'postgres', name: 'bench-db', labels: { env: 'prod' } },
  session: { id: 'c544b298-509b-4b82-8070-2bc7198ca331', source: '127.0.0.1' },
  sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = 48213;',
} as const;
const result = await engine.decide(request);
await engine.close();
const records = Array.from({ length: 64 }, () => auditRecordFromDecision(result));
const shuffled = records.map((r) => reversed(r) as AuditRecord);
const prev = '0'.repeat(64);
const line = chainAuditLine(records[0] as AuditRecord, 1, prev).line;

// The shipped library's own decision for the same statement of an agent on prod (compiled
// to wasm, as the proxies run it): since the seventeenth session its column patterns come
// with every read, the token pattern with its `except` list, so its masks are no longer flat
// records. Building a record is measured too: a list of masks that is not flat was copied
// (structuredClone) and serialised afresh for every record until the twenty-fifth session.
const library = createEngine({ evaluator: await shippedPolicyEvaluator() });
const libraryResult = await library.decide(request);
await library.close();
const libraryRecords = Array.from({ length: 64 }, () => auditRecordFromDecision(libraryResult));
const libraryLine = chainAuditLine(libraryRecords[0] as AuditRecord, 1, prev).line;

const results: Record<string, number[]> = {};
results["build, the shipped library's decision (auditRecordFromDecision)"] = perCall(() => {
  auditRecordFromDecision(libraryResult);
});
results["build and chain, the shipped library's decision"] = perCall((i) => {
  chainAuditLine(auditRecordFromDecision(libraryResult), i + 1, prev);
});
results['chain, keys in sorted order (as built now)'] = perCall((i) => {
  chainAuditLine(records[i & 63] as AuditRecord, i + 1, prev);
});
results['chain, keys in any other order (general path, as every record before)'] = perCall((i) => {
  chainAuditLine(shuffled[i & 63] as AuditRecord, i + 1, prev);
});
results['JSON.stringify alone (floor)'] = perCall((i) => {
  JSON.stringify(records[i & 63]);
});

const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-audit-cost-'));
try {
  const db = openStateDatabase(join(dir, 'state.db'));
  const index = new AuditIndex(db);
  const fresh = (): AuditRecord => ({ ...(records[0] as AuditRecord), id: newAuditRecordId() });
  const SQL = `INSERT OR IGNORE INTO audit_index
     (record_id, time, session_id, subject, resource, action, effect, rules, approval_id, summary)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const row = (r: AuditRecord) => [
    r.id,
    r.time,
    r.session_id,
    r.subject.id,
    r.resource.name,
    r.action.type,
    r.effect,
    JSON.stringify(r.reasons.map((x) => x.rule)),
    r.approval_id ?? null,
    r.action.summary,
  ];
  results['index: prepared and committed per record (before)'] = perCall(() => {
    db.prepare(SQL).run(...row(fresh()));
  });
  results['index: prepared once, committed per record'] = perCall(() => {
    index.add(fresh());
  });
  for (const size of [2, 8, 32]) {
    results[`index: batches of ${size} in one transaction (per record)`] = perCall((i) => {
      if (i % size === 0) index.addMany(Array.from({ length: size }, fresh));
    });
  }
  // What a batch would cost if its commit waited for the disk, as the state file's other
  // writes do: the same transaction at the connection's own setting (synchronous FULL).
  const insert = db.prepare(SQL);
  const waitingBatch = db.transaction((batch: AuditRecord[]) => {
    for (const r of batch) insert.run(...row(r));
  });
  results['index: batches of 32 committed waiting for the disk (per record)'] = perCall((i) => {
    if (i % 32 === 0) waitingBatch(Array.from({ length: 32 }, fresh));
  });
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The index as it grows, with the ids records had before (random, version 4) and have now
// (time-ordered, version 7): batches of 250, what the gateway gathers in its 25 ms at about
// 10k statements a second; µs per record over each step of 100k rows, in a new state file
// per run, the two id kinds taking turns.
const growth: Record<string, number[][]> = { 'random (v4) ids': [], 'time-ordered (v7) ids': [] };
for (let run = 0; run < GROWTH_RUNS; run++) {
  for (const [kind, id] of [
    ['random (v4) ids', randomUUID],
    ['time-ordered (v7) ids', newAuditRecordId],
  ] as const) {
    const growthDir = mkdtempSync(join(os.tmpdir(), 'portcullis-audit-growth-'));
    try {
      const db = openStateDatabase(join(growthDir, 'state.db'));
      const index = new AuditIndex(db);
      const steps: number[] = [];
      let stepStart = process.hrtime.bigint();
      let stepRows = 0;
      for (let rows = 0; rows < GROWTH_ROWS; rows += GROWTH_BATCH) {
        index.addMany(
          Array.from({ length: GROWTH_BATCH }, () => ({ ...(records[0] as AuditRecord), id: id() })),
        );
        stepRows += GROWTH_BATCH;
        if (stepRows >= GROWTH_STEP) {
          const now = process.hrtime.bigint();
          steps.push(Number(now - stepStart) / 1000 / stepRows);
          stepStart = now;
          stepRows = 0;
        }
      }
      growth[kind]?.push(steps);
      db.close();
    } finally {
      rmSync(growthDir, { recursive: true, force: true });
    }
  }
}
// Pruning (audit.index_retention): how long one delete of the oldest entries holds the event
// loop, by chunk size, in an index of PRUNE_ROWS entries a millisecond apart; each delete
// takes the next chunk, PRUNE_DELETES of them per size, in a fresh state file per size.
const pruneMs: Record<string, number[]> = {};
for (const chunk of PRUNE_ROWS > 0 ? PRUNE_CHUNKS : []) {
  const pruneDir = mkdtempSync(join(os.tmpdir(), 'portcullis-audit-prune-'));
  try {
    const db = openStateDatabase(join(pruneDir, 'state.db'));
    const index = new AuditIndex(db);
    const start = Date.UTC(2026, 0, 1);
    for (let rows = 0; rows < PRUNE_ROWS; rows += GROWTH_BATCH) {
      index.addMany(
        Array.from({ length: GROWTH_BATCH }, (_, i) => ({
          ...(records[0] as AuditRecord),
          id: newAuditRecordId(),
          time: new Date(start + rows + i).toISOString(),
        })),
      );
    }
    const before = new Date(start + PRUNE_ROWS).toISOString();
    const times: number[] = [];
    for (let k = 0; k < PRUNE_DELETES; k++) {
      const begin = process.hrtime.bigint();
      const deleted = index.prune(before, chunk);
      times.push(Number(process.hrtime.bigint() - begin) / 1e6);
      if (deleted !== chunk) throw new Error(`prune deleted ${deleted}, expected ${chunk}`);
    }
    pruneMs[`${chunk}`] = times;
    db.close();
  } finally {
    rmSync(pruneDir, { recursive: true, force: true });
  }
}
const pruneSummary = Object.entries(pruneMs).map(([chunk, runs]) => ({
  chunk: Number(chunk),
  ms_per_delete_median: Number(median(runs).toFixed(2)),
  ms_max: Number(Math.max(...runs).toFixed(2)),
  runs: runs.map((x) => Number(x.toFixed(2))),
}));

const growthSummary = Object.entries(growth).map(([ids, runs]) => ({
  ids,
  us_per_record_median_by_step: (runs[0] ?? []).map((_, step) =>
    Number(median(runs.map((r) => r[step] as number)).toFixed(2)),
  ),
  runs: runs.map((r) => r.map((x) => Number(x.toFixed(2)))),
}));

const summary = Object.entries(results).map(([what, runs]) => ({
  what,
  us_per_record_median: Number(median(runs).toFixed(2)),
  runs: runs.map((x) => Number(x.toFixed(2))),
}));
for (const s of summary)
  process.stdout.write(`${s.us_per_record_median.toFixed(2).padStart(8)} µs  ${s.what}\n`);
process.stdout.write(
  `(a record's line is ${line.length} bytes; with the shipped library's decision ${libraryLine.length})\n`,
);
process.stdout.write(
  `index growth, µs per record for each ${GROWTH_STEP} rows (batches of ${GROWTH_BATCH}):\n`,
);
for (const g of growthSummary)
  process.stdout.write(
    `  ${g.ids.padEnd(22)} ${g.us_per_record_median_by_step.map((x) => x.toFixed(1)).join('  ')}\n`,
  );
process.stdout.write(
  `index prune, ms a delete in ${PRUNE_ROWS} entries (median, max of ${PRUNE_DELETES}):\n`,
);
for (const p of pruneSummary)
  process.stdout.write(`  ${String(p.chunk).padEnd(6)} ${p.ms_per_delete_median}  ${p.ms_max}\n`);
if (process.env.OUT) {
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version };
  writeFileSync(
    process.env.OUT,
    `${JSON.stringify({ benchmark: 'audit-cost', date: new Date().toISOString(), machine, loadavg: os.loadavg(), settings: { RUNS, CALLS, GROWTH_ROWS, GROWTH_RUNS, GROWTH_BATCH, GROWTH_STEP, PRUNE_ROWS, PRUNE_DELETES }, line_bytes: line.length, library_line_bytes: libraryLine.length, results: summary, index_growth: growthSummary, index_prune: pruneSummary }, null, 1)}\n`,
  );
  process.stderr.write(`wrote ${process.env.OUT}\n`);
}
