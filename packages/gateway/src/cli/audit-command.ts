import { open } from 'node:fs/promises';
import { type ChainedAuditRecord, hashAuditRecord, verifyAuditLog } from '@portcullis/core';
import { loadConfig } from '../config/load-config.js';
import { type CliIo, writeLine } from './cli-io.js';
import { untilSignal } from './until-signal.js';

/** `portcullis audit verify [log]`: exit 0 when the hash chain is intact, 1 at the first broken record. */
export async function runAuditVerify(
  path: string | undefined,
  flags: { config?: string },
  io: CliIo,
): Promise<number> {
  try {
    const log = path ?? (await loadConfig(flags.config ?? 'portcullis.yaml')).audit.path;
    const result = await verifyAuditLog(log);
    if (result.ok) {
      await writeLine(io.stdout, `${log}: ok, ${result.records} records, last hash ${result.lastHash}`);
      return 0;
    }
    await writeLine(io.stdout, `${log}: BROKEN at line ${result.line} (seq ${result.seq}): ${result.reason}`);
    return 1;
  } catch (err) {
    await writeLine(io.stderr, `portcullis audit verify: ${(err as Error).message}`);
    return 1;
  }
}

export interface AuditTailFlags {
  config?: string;
  /** How many of the last records to print first; default 10. */
  lines?: string;
  follow?: boolean;
  json?: boolean;
  /** How often --follow looks for new records, ms; default 250. */
  intervalMs?: number;
  /** Ends --follow (tests); the command otherwise runs until SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

interface TailRecord {
  seq?: number;
  time?: string;
  subject?: { id?: string; kind?: string };
  resource?: { name?: string };
  action?: { type?: string; summary?: string };
  effect?: string;
  stage?: string;
  reasons?: { rule?: string }[];
  approval_id?: string;
}

const CHUNK = 64 * 1024;
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** One record as a line a person reads: time, seq, who, where, what was decided, on what, why. */
export function formatAuditLine(line: string): string {
  let r: TailRecord;
  try {
    r = JSON.parse(line) as TailRecord;
  } catch {
    return `(not JSON) ${oneLine(line).slice(0, 200)}`;
  }
  const rules = (r.reasons ?? []).map((x) => x.rule).filter(Boolean);
  const parts = [
    r.time ?? '?',
    `#${r.seq ?? '?'}`,
    `${r.subject?.id ?? '?'}${r.subject?.kind === 'agent' ? ' (agent)' : ''}`,
    `@${r.resource?.name ?? '?'}`,
    r.stage && r.stage !== 'decision' ? `${r.effect ?? '?'}/${r.stage}` : (r.effect ?? '?'),
    `${r.action?.type ?? '?'}: ${oneLine(r.action?.summary ?? '')}`,
  ];
  if (rules.length > 0) parts.push(`[${rules.join(', ')}]`);
  if (r.approval_id) parts.push(`approval ${r.approval_id}`);
  return parts.join('  ');
}

/**
 * `portcullis audit tail [log] [-n 10] [--follow] [--json]`: the last records of the JSON-lines
 * log, then (with --follow) each new one as it is appended. Only complete lines are printed:
 * a record being written is shown once its newline is there. With --follow the hash chain is
 * checked as records arrive, and a break (a rewritten or truncated log) is reported and ends
 * the command with exit 1.
 */
export async function runAuditTail(
  path: string | undefined,
  flags: AuditTailFlags,
  io: CliIo,
): Promise<number> {
  let log: string;
  try {
    log = path ?? (await loadConfig(flags.config ?? 'portcullis.yaml')).audit.path;
  } catch (err) {
    await writeLine(io.stderr, `portcullis audit tail: ${(err as Error).message}`);
    return 1;
  }
  const count = flags.lines === undefined ? 10 : Number(flags.lines);
  if (!Number.isSafeInteger(count) || count < 0) {
    await writeLine(io.stderr, 'portcullis audit tail: -n expects a whole number of records');
    return 1;
  }
  const print = (line: string) => writeLine(io.stdout, flags.json ? line : formatAuditLine(line));
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(log, 'r');
  } catch (err) {
    await writeLine(
      io.stderr,
      `portcullis audit tail: cannot open ${log}: ${(err as NodeJS.ErrnoException).code}`,
    );
    return 1;
  }
  try {
    const { size } = await handle.stat();
    // The last `count` complete lines: read backwards until enough newlines are in hand.
    let start = size;
    let text = '';
    while (start > 0) {
      const from = Math.max(0, start - CHUNK);
      const buf = Buffer.alloc(start - from);
      await handle.read(buf, 0, buf.length, from);
      text = buf.toString('utf8') + text;
      start = from;
      if ((text.match(/\n/g)?.length ?? 0) > count) break;
    }
    const end = text.lastIndexOf('\n') + 1;
    let offset = start + Buffer.byteLength(text.slice(0, end));
    const lines = text.slice(0, end).split('\n').slice(0, -1);
    for (const line of count === 0 ? [] : lines.slice(-count)) await print(line);
    if (!flags.follow) return 0;

    // The chain is followed from the last record already in the file; `audit verify` checks
    // the whole file.
    const chain = new ChainFollower(lines.at(-1));
    const stop = flags.signal ?? signalFromProcess();
    let pending = '';
    while (!stop.aborted) {
      const { size: now } = await handle.stat();
      if (now < offset) {
        await writeLine(
          io.stderr,
          `portcullis audit tail: ${log} shrank from ${offset} to ${now} bytes; it was truncated`,
        );
        return 1;
      }
      if (now > offset) {
        const buf = Buffer.alloc(now - offset);
        await handle.read(buf, 0, buf.length, offset);
        offset = now;
        pending += buf.toString('utf8');
        const nl = pending.lastIndexOf('\n');
        if (nl >= 0) {
          const fresh = pending.slice(0, nl).split('\n');
          pending = pending.slice(nl + 1);
          for (const line of fresh) {
            const broken = chain.push(line);
            await print(line);
            if (broken) {
              await writeLine(io.stderr, `portcullis audit tail: chain broken: ${broken}`);
              return 1;
            }
          }
        }
      }
      await sleep(flags.intervalMs ?? 250, stop);
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/**
 * Checks each appended record against the one before it: its own hash, the next seq, and
 * `prev` pointing at the previous hash. Starting from the record already at the end of the
 * file (or from nothing, for an empty log, where the first record is not linked back).
 */
class ChainFollower {
  #seq: number | undefined;
  #hash: string | undefined;

  constructor(last: string | undefined) {
    if (last === undefined) return;
    try {
      const r = JSON.parse(last) as Partial<ChainedAuditRecord>;
      if (typeof r.seq === 'number' && typeof r.hash === 'string') {
        this.#seq = r.seq;
        this.#hash = r.hash;
      }
    } catch {}
  }

  /** The reason the chain breaks at this line, or undefined when it holds. */
  push(line: string): string | undefined {
    let r: ChainedAuditRecord;
    try {
      r = JSON.parse(line) as ChainedAuditRecord;
    } catch {
      return 'a line is not JSON';
    }
    if (typeof r !== 'object' || r === null || typeof r.hash !== 'string' || typeof r.seq !== 'number')
      return 'a record has no seq or hash';
    if (hashAuditRecord(r) !== r.hash) return `record ${r.seq} does not match its hash: it was altered`;
    if (this.#seq !== undefined && (r.seq !== this.#seq + 1 || r.prev !== this.#hash))
      return `record ${r.seq} does not follow record ${this.#seq}: records were removed, reordered or rewritten`;
    this.#seq = r.seq;
    this.#hash = r.hash;
    return undefined;
  }
}

function signalFromProcess(): AbortSignal {
  const controller = new AbortController();
  void untilSignal().then(() => controller.abort());
  return controller.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
