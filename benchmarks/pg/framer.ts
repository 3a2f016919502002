/**
 * What framing and batching one server response costs the proxy per read, in a loop: a
 * select-only transaction's four messages (RowDescription, DataRow, CommandComplete,
 * ReadyForQuery) in one chunk, cut into frames (`MessageFramer`) and batched to go on
 * (`OutputBatch`), two ways:
 *
 * - forwarded: each frame handed to `forwardFrame`, as the proxy passes on a message it
 *   does not change, which makes no view of it;
 * - viewed: each frame's `raw` and `body` read first, the two views every message cost
 *   before f4d1d2c (when the framer made them for every frame).
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/framer.ts
 *
 * Settings (environment): RUNS (9) runs of CALLS (1000000) chunks; OUT writes the medians and
 * every run as JSON.
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { MessageFramer } from '../../adapters/pg/src/protocol/message-framer.js';
import { OutputBatch } from '../../adapters/pg/src/proxy/output-batch.js';
import { median } from '../support/median.js';

const RUNS = Number(process.env.RUNS ?? 9);
const CALLS = Number(process.env.CALLS ?? 1_000_000);

function message(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const chunk = Buffer.concat([
  message('T', Buffer.alloc(27)),
  message('D', Buffer.alloc(12)),
  message('C', Buffer.from('SELECT 1\0')),
  message('Z', Buffer.from('I')),
]);

const framer = new MessageFramer({ maxMessageSize: 1 << 20 });
const batch = new OutputBatch();
let sink = 0;

function run(view: boolean): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    framer.push(chunk);
    for (let frame = framer.next(); frame; frame = framer.next()) {
      if (view) sink += frame.raw.length + frame.body.length;
      batch.forwardFrame(frame);
    }
    sink += (batch.take() as Buffer).length;
  }
  return Number(process.hrtime.bigint() - start) / CALLS;
}

const runs: Record<string, number[]> = { forwarded: [], viewed: [] };
for (let r = 0; r < RUNS; r++) {
  runs.forwarded?.push(run(false));
  runs.viewed?.push(run(true));
}
if (sink === 0) throw new Error('nothing framed');
const summary = Object.entries(runs).map(([what, ns]) => ({
  what,
  ns_per_response_median: Number(median(ns).toFixed(1)),
  runs: ns.map((x) => Number(x.toFixed(1))),
}));
for (const s of summary)
  process.stdout.write(`${s.what.padEnd(10)} ${s.ns_per_response_median} ns per response\n`);
if (process.env.OUT) {
  writeFileSync(
    process.env.OUT,
    `${JSON.stringify(
      {
        benchmark: 'pg framer',
        date: new Date().toISOString(),
        machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
        method: { runs: RUNS, calls: CALLS, response: 'T D C Z in one chunk' },
        results: summary,
      },
      null,
      2,
    )}\n`,
  );
}
