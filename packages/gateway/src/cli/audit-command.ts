import { open, stat } from 'node:fs/promises';
import {
  type ChainedAuditRecord,
  hashAuditRecord,
  rotatedAuditLogs,
  verifyAuditLogs,
} from '@portcullis/core';
import { loadConfig } from '../config/load-config.js';
import { type CliIo, writeLine } from './cli-io.js';
import { untilSignal } from './until-signal.js';

export interface AuditVerifyFlags {
  config?: string;
  /** Take the chain up at the oldest file present, for a log whose older files were removed. */
  fromOldest?: boolean;
}

/**
 * `portcullis audit verify [log] [--from-oldest]`: the log and the files rotated out of it, as
 * one chain; exit 0 when it is intact, 1 at the first broken record.
 */
export async function runAuditVerify(
  path: string | undefined,
  flags: AuditVerifyFlags,
  io: CliIo,
): Promise<number> {
  try {
    const log = path ?? (await loadConfig(flags.config ?? 'portcullis.yaml')).audit.path;
    const rotated = (await rotatedAuditLogs(log)).map((f) => f.path);
    const files = [...rotated, ...(rotated.length === 0 || (await exists(log)) ? [log] : [])];
    const result = await verifyAuditLogs(files, { from: flags.fromOldest ? 'first-record' : 'genesis' });
    if (result.ok) {
      const span =
        result.records === 0 ? '' : ` (seq ${result.firstSeq}–${result.firstSeq + result.records - 1})`;
      const where = files.length > 1 ? ` in ${files.length} files` : '';
      await writeLine(
        io.stdout,
        `${log}: ok, ${result.records} records${span}${where}, last hash ${result.lastHash}`,
      );
      return 0;
    }
    const file = result.file !== undefined && result.file !== log ? ` in ${result.file}` : '';
    await writeLine(
      io.stdout,
      `${log}: BROKEN${file} at line ${result.line} (seq ${result.seq}): ${result.reason}`,
    );
    if (!flags.fromOldest && rotated.length > 0 && result.file === files[0] && result.line === 1)
      await writeLine(
        io.stdout,
        'if older rotated files were removed on purpose, --from-oldest verifies from the oldest one left',
      );
    return 1;
  } catch (err) {
    await writeLine(io.stderr, `portcullis audit verify: ${(err as Error).message}`);
    return 1;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
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
    const current = await lastLines(handle, count);
    let offset = current.end;
    let lines = current.lines;
    // A log rotated a moment ago holds fewer records than asked for: the rest are at the end
    // of the files rotated out before it.
    const rotated = await rotatedAuditLogs(log);
    while (lines.length < count + 1 && rotated.length > 0) {
      const older = await open((rotated.pop() as { path: string }).path, 'r');
      try {
        lines = [...(await lastLines(older, count + 1 - lines.length)).lines, ...lines];
      } finally {
        await older.close();
      }
    }
    for (const line of count === 0 ? [] : lines.slice(-count)) await print(line);
    if (!flags.follow) return 0;

    // The chain is followed from the last record already written; `audit verify` checks the
    // whole log.
    const chain = new ChainFollower(lines.at(-1));
    const stop = flags.signal ?? signalFromProcess();
    let pending = '';
    // Looks at a new file whose first record did not (yet) continue the chain.
    let mismatched = 0;
    /** Prints what was appended to the file open now; the reason the chain broke, if it did. */
    const readOn = async (): Promise<string | undefined> => {
      const { size: now } = await handle.stat();
      if (now < offset) return `${log} shrank from ${offset} to ${now} bytes; it was truncated`;
      if (now === offset) return undefined;
      const buf = Buffer.alloc(now - offset);
      await handle.read(buf, 0, buf.length, offset);
      offset = now;
      pending += buf.toString('utf8');
      const nl = pending.lastIndexOf('\n');
      if (nl < 0) return undefined;
      const fresh = pending.slice(0, nl).split('\n');
      pending = pending.slice(nl + 1);
      for (const line of fresh) {
        const broken = chain.push(line);
        await print(line);
        if (broken) return `chain broken: ${broken}`;
      }
      return undefined;
    };
    while (!stop.aborted) {
      const broken = (await readOn()) ?? (await followRotation());
      if (broken) {
        await writeLine(io.stderr, `portcullis audit tail: ${broken}`);
        return 1;
      }
      await sleep(flags.intervalMs ?? 250, stop);
    }
    return 0;

    /**
     * Follows a rotation: once another file is at the path, the rest of the one open now (it
     * was renamed) is read, and the new file is taken up from its start once its first record
     * continues the chain. Until the writer switches to the new file, records still land in
     * the renamed one; a new file that never continues the chain is reported after a while.
     */
    async function followRotation(): Promise<string | undefined> {
      let current: Awaited<ReturnType<typeof stat>>;
      try {
        current = await stat(log);
      } catch {
        return undefined; // Between a rotation's two renames: no file at the path for a moment.
      }
      if (current.ino === (await handle.stat()).ino) return undefined;
      const broken = await readOn();
      if (broken) return broken;
      let next: Awaited<ReturnType<typeof open>>;
      try {
        next = await open(log, 'r');
      } catch {
        return undefined;
      }
      const first = pending === '' ? await firstLine(next) : undefined;
      if (first === undefined || !chain.continues(first)) {
        await next.close();
        if (first !== undefined && ++mismatched > ROTATION_PATIENCE)
          return `${log} was rotated, and its new file does not continue the chain`;
        return undefined;
      }
      mismatched = 0;
      await handle.close();
      handle = next;
      offset = 0;
      return undefined;
    }
  } finally {
    await handle.close();
  }
}

/** Looks at a rotated log's new file this many times (--follow's interval apart) before calling a mismatch a break. */
const ROTATION_PATIENCE = 20;

/** The file's first complete line, if it has one yet. */
async function firstLine(handle: Awaited<ReturnType<typeof open>>): Promise<string | undefined> {
  let text = '';
  for (let position = 0; ; ) {
    const buf = Buffer.alloc(CHUNK);
    const { bytesRead } = await handle.read(buf, 0, buf.length, position);
    if (bytesRead === 0) return undefined;
    text += buf.subarray(0, bytesRead).toString('utf8');
    position += bytesRead;
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl);
  }
}

/** The last `count` complete lines of a file (more when a read brings them), and where they end. */
async function lastLines(
  handle: Awaited<ReturnType<typeof open>>,
  count: number,
): Promise<{ lines: string[]; end: number }> {
  const { size } = await handle.stat();
  // Read backwards until enough newlines are in hand.
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
  // A read that stopped partway into the file starts with part of a line: not one of them.
  const whole = text
    .slice(0, end)
    .split('\n')
    .slice(start > 0 ? 1 : 0, -1);
  return { lines: whole, end: start + Buffer.byteLength(text.slice(0, end)) };
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

  /** Whether this line's record would be the next one (always, before any is known). */
  continues(line: string): boolean {
    if (this.#seq === undefined) return true;
    try {
      const r = JSON.parse(line) as Partial<ChainedAuditRecord>;
      return r.seq === this.#seq + 1 && r.prev === this.#hash;
    } catch {
      return false;
    }
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
