import { writeSync } from 'node:fs';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { AuditChainError, AuditWriteError } from '../errors.js';
import { chainAuditLine, GENESIS_HASH, hashAuditRecord } from './audit-chain.js';
import { rotatedAuditLogName, rotatedAuditLogs } from './audit-log-files.js';
import type { AuditRecord, ChainedAuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';

export interface JsonlAuditSinkOptions {
  path: string;
  /** fsync after every record, so a resolved write survives a power cut. Default false. */
  fsync?: boolean;
  /**
   * Write each record with one synchronous write(2) on the calling thread rather than through
   * libuv's thread pool. A record is about a kilobyte copied into the page cache, which costs
   * microseconds; the pool's hand-off costs more than that in CPU and wake-ups for every
   * record, and a proxy that writes its decision before it forwards a statement waits for it.
   * Default: true without fsync, false with it (an fsync can take milliseconds, which must not
   * stall the event loop). Set false for a log on storage whose writes can block (a network
   * filesystem).
   */
  syncWrites?: boolean;
  /**
   * Rotate the log once its file holds this many bytes: the file is renamed beside itself by
   * the seq of its first record (`rotatedAuditLogName`) and a new one started at `path`, whose
   * first record links to the last of the old one, so the chain runs on across files
   * (`verifyAuditLogs`). Opening a log whose file is empty or missing continues the newest
   * rotated file. Default 0: never.
   */
  rotateBytes?: number;
  /** Told the name of each file rotated out. */
  onRotated?: (rotatedPath: string) => void;
  /**
   * Told why a rotation failed. Records keep going to the current file, and rotation is tried
   * again once it has grown by another `rotateBytes`.
   */
  onRotateError?: (err: unknown) => void;
}

export interface JsonlAuditSink extends AuditSink {
  /** Sequence number of the last record in the log (0 for an empty log). */
  readonly seq: number;
  /** Hash of the last record, which the next record's `prev` will be. */
  readonly lastHash: string;
  /**
   * Stores at once, and returns true, when writes are synchronous (`syncWrites`) without
   * fsync. Records that `write` has batched go first, in the same write(2).
   */
  writeNow(record: AuditRecord): boolean;
}

const TAIL_CHUNK = 64 * 1024;

/**
 * A hash-chained JSON-lines audit log. Each record is one line of canonical JSON with `seq`,
 * `prev` and `hash`; `verifyAuditLog` finds the first altered, removed or reordered record.
 * Opening an existing log continues its chain from its last line, which must be complete and
 * intact. One sink per file: two writers appending to one log would fork the chain.
 *
 * With synchronous writes and no fsync, `write` chains the record at once but stores it at
 * the end of the event loop's turn, with every other record written in that turn, in one
 * write(2); `writeNow` (or `close`, or the process's exit) stores what waits before its own
 * record. The promise resolves once the record is stored. A proxy writes a record per
 * decision and per completion; under load one turn handles several sessions' messages, and a
 * write(2) per record cost more than building the record (benchmarks/pg).
 */
export async function createJsonlAuditSink(options: JsonlAuditSinkOptions): Promise<JsonlAuditSink> {
  const { path, fsync = false } = options;
  const syncWrites = options.syncWrites ?? !fsync;
  const rotateBytes = options.rotateBytes ?? 0;
  if (!(Number.isSafeInteger(rotateBytes) && rotateBytes >= 0))
    throw new AuditWriteError(`rotateBytes must be a whole number of bytes, got ${rotateBytes}`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'a+');
  } catch (err) {
    throw new AuditWriteError(`cannot open audit log ${path}: ${(err as Error).message}`, { cause: err });
  }
  let tail: { seq: number; hash: string };
  // Bytes in the current file, and the seq of its first record (undefined while it is empty).
  let size: number;
  let fileFirstSeq: number | undefined;
  try {
    size = (await handle.stat()).size;
    if (size > 0) {
      tail = await readChainTail(handle, path);
      fileFirstSeq = await readFirstSeq(handle, path);
    } else {
      tail = await continuedTail(path);
    }
  } catch (err) {
    await handle.close().catch(() => {});
    if (err instanceof AuditChainError) throw err;
    throw new AuditWriteError(`cannot read audit log ${path}: ${(err as Error).message}`, { cause: err });
  }

  let { seq, hash: lastHash } = tail;
  // The chain's head, batched records included: what the next record links to.
  let headSeq = seq;
  let headHash = lastHash;
  let queue: Promise<void> = Promise.resolve();
  // Lines chained but not yet stored, and the one promise of every write that waits for them.
  let batch = '';
  let batchCount = 0;
  let batchDone: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  let failure: unknown;
  let closed = false;
  // The rotation under way, and the size at which the current file is rotated.
  let rotation: Promise<void> | undefined;
  let rotateAt = rotateBytes;

  /** The record's line, checked against the sink's state; throws AuditWriteError. */
  function prepare(record: AuditRecord): { line: string; hash: string } {
    if (closed) throw new AuditWriteError(`audit log ${path} is closed`);
    // After a failed write the file may end in part of a line; chaining more records onto it
    // would hide the gap, so the sink stays failed until reopened (which then refuses the log).
    if (failure !== undefined)
      throw new AuditWriteError(`audit log ${path} failed earlier`, { cause: failure });
    try {
      const linked = chainAuditLine(record, headSeq + 1, headHash);
      return { line: `${linked.line}\n`, hash: linked.hash };
    } catch (err) {
      throw new AuditWriteError(`audit record cannot be serialised: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  function failed(err: unknown): AuditWriteError {
    failure = err;
    return new AuditWriteError(`cannot write audit log ${path}: ${(err as Error).message}`, { cause: err });
  }

  /** Writes `text` with write(2) on this thread, all of it. */
  function writeAll(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(handle.fd, bytes, offset, bytes.length - offset);
    size += bytes.length;
  }

  function rotationDue(): boolean {
    return (
      rotateBytes > 0 && rotation === undefined && !closed && fileFirstSeq !== undefined && size >= rotateAt
    );
  }

  /**
   * Renames the current file out and starts a new one at `path`. The new file is opened
   * first under a name of its own, so a failure before the renames changes nothing; records
   * written meanwhile (synchronous writes do not wait) land in the old file, under its new
   * name, and the chain runs on into the new file from wherever it then stands.
   */
  async function rotate(): Promise<void> {
    const target = rotatedAuditLogName(path, fileFirstSeq as number);
    const nextPath = `${path}.next`;
    let next: FileHandle | undefined;
    let moved = false;
    try {
      if (await exists(target)) throw new Error(`${target} already exists`);
      next = await open(nextPath, 'w');
      await rename(path, target);
      moved = true;
      await rename(nextPath, path);
    } catch (err) {
      if (moved) await rename(target, path).catch(() => {});
      await next?.close().catch(() => {});
      await unlink(nextPath).catch(() => {});
      rotateAt = size + rotateBytes;
      tell(() => options.onRotateError?.(err));
      return;
    }
    const old = handle;
    handle = next;
    size = 0;
    fileFirstSeq = undefined;
    rotateAt = rotateBytes;
    await old.close().catch(() => {});
    tell(() => options.onRotated?.(target));
  }

  /** Starts a rotation in the background when the current file is full (synchronous writes). */
  function rotateWhenDue(): void {
    if (!rotationDue()) return;
    rotation = rotate().finally(() => {
      rotation = undefined;
    });
  }

  /**
   * Stores the batch, then `line` (already chained after it) if given, in one write(2). The
   * batch's writers learn the outcome; a failure also throws, for the caller of writeNow.
   */
  function flush(line?: { line: string; hash: string }): void {
    const done = batchDone;
    const count = batchCount + (line ? 1 : 0);
    if (count === 0) return;
    const text = line ? batch + line.line : batch;
    batch = '';
    batchCount = 0;
    batchDone = undefined;
    flushers.delete(flushWaiting);
    try {
      fileFirstSeq ??= seq + 1;
      writeAll(text);
    } catch (err) {
      const error = failed(err);
      done?.reject(error);
      throw error;
    }
    seq += count;
    if (line) {
      headSeq += 1;
      headHash = line.hash;
    }
    lastHash = headHash;
    done?.resolve();
    rotateWhenDue();
  }

  /** Stores the batch (at the end of its turn, at close, at exit); a failure goes to its writers. */
  function flushWaiting(): void {
    try {
      flush();
    } catch {
      // Rejected to the batch's writers, and the sink stays failed; nobody else to tell.
    }
  }

  /** Chains the record now and stores it with the rest of this turn's batch. */
  function batched(record: AuditRecord): Promise<void> {
    const { line, hash } = prepare(record);
    batch += line;
    batchCount += 1;
    headSeq += 1;
    headHash = hash;
    if (batchDone === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batchDone = { promise, resolve, reject };
      flushOnExit(flushWaiting);
      setImmediate(flushWaiting);
    }
    return batchDone.promise;
  }

  /** Store the record with write(2) on this thread, after the batch. */
  function appendNow(record: AuditRecord): void {
    flush(prepare(record));
  }

  async function append(record: AuditRecord): Promise<void> {
    const { line, hash } = prepare(record);
    const bytes = Buffer.from(line, 'utf8');
    try {
      fileFirstSeq ??= seq + 1;
      let offset = 0;
      while (offset < bytes.length) {
        offset += syncWrites
          ? writeSync(handle.fd, bytes, offset, bytes.length - offset)
          : (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
      }
      size += bytes.length;
      if (fsync) await handle.sync();
    } catch (err) {
      throw failed(err);
    }
    seq += 1;
    lastHash = hash;
    headSeq = seq;
    headHash = hash;
    // In the queue, so that no write is under way on the file being rotated out.
    if (rotationDue()) {
      rotation = rotate();
      await rotation;
      rotation = undefined;
    }
  }

  // Without fsync, synchronous writes never queue: each record is stored when write returns,
  // so none can overtake another. With the thread pool or fsync they go through the queue.
  const immediate = syncWrites && !fsync;

  return {
    get seq() {
      return seq;
    },
    get lastHash() {
      return lastHash;
    },
    write(record) {
      if (immediate) {
        try {
          return batched(record);
        } catch (err) {
          return Promise.reject(err);
        }
      }
      const task = queue.then(() => append(record));
      queue = task.catch(() => {});
      return task;
    },
    writeNow(record) {
      if (!immediate) return false;
      appendNow(record);
      return true;
    },
    async close() {
      if (closed) return;
      flushWaiting();
      closed = true;
      await queue;
      await rotation;
      try {
        await handle.close();
      } catch (err) {
        throw new AuditWriteError(`cannot close audit log ${path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
  };
}

/**
 * Sinks with records waiting for the end of the turn. A process that exits in that turn (an
 * uncaught exception, `process.exit`) still stores them: 'exit' listeners run synchronously.
 */
const flushers = new Set<() => void>();
let exitListener = false;

function flushOnExit(flush: () => void): void {
  flushers.add(flush);
  if (exitListener) return;
  exitListener = true;
  process.on('exit', () => {
    for (const each of flushers) each();
  });
}

/** Calls an embedder's callback; what it throws must not fail a rotation or go unhandled. */
function tell(callback: () => void): void {
  try {
    callback();
  } catch {}
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Where a log whose file is empty goes on from: the end of the newest file rotated out of it
 * (the process may have stopped between a rotation and the next record), else the start.
 */
async function continuedTail(path: string): Promise<{ seq: number; hash: string }> {
  const newest = (await rotatedAuditLogs(path)).at(-1);
  if (!newest) return { seq: 0, hash: GENESIS_HASH };
  const handle = await open(newest.path, 'r');
  try {
    return await readChainTail(handle, newest.path);
  } finally {
    await handle.close();
  }
}

/** The seq of the first record, which names the file when it is rotated out. */
async function readFirstSeq(handle: FileHandle, path: string): Promise<number> {
  let text = '';
  let position = 0;
  for (;;) {
    const chunk = Buffer.alloc(TAIL_CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    text += chunk.subarray(0, bytesRead).toString('utf8');
    position += bytesRead;
    const nl = text.indexOf('\n');
    if (nl >= 0 || bytesRead === 0) {
      try {
        const first = JSON.parse(nl >= 0 ? text.slice(0, nl) : text) as Partial<ChainedAuditRecord>;
        if (Number.isSafeInteger(first.seq)) return first.seq as number;
      } catch {}
      throw new AuditChainError(
        `the first line of audit log ${path} is not a record; run verifyAuditLog to find what is wrong`,
      );
    }
  }
}

/** The seq and hash of the last record, read backwards from the end so large logs open fast. */
async function readChainTail(handle: FileHandle, path: string): Promise<{ seq: number; hash: string }> {
  const { size } = await handle.stat();
  if (size === 0) return { seq: 0, hash: GENESIS_HASH };
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] !== 0x0a) {
    throw new AuditChainError(
      `audit log ${path} ends in an incomplete line; it was truncated or a write was cut short`,
    );
  }
  // Read chunks backwards until the newline before the last line appears.
  const chunks: Buffer[] = [];
  let end = size - 1;
  let lineStart = -1;
  while (end > 0 && lineStart < 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    chunks.unshift(chunk);
    const nl = chunk.lastIndexOf(0x0a);
    if (nl >= 0) lineStart = start + nl + 1;
    end = start;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const lineText = lineStart < 0 ? text : text.slice(text.length - (size - 1 - lineStart));
  let record: ChainedAuditRecord;
  try {
    record = JSON.parse(lineText) as ChainedAuditRecord;
  } catch {
    throw new AuditChainError(`the last line of audit log ${path} is not JSON`);
  }
  if (
    !Number.isSafeInteger(record.seq) ||
    typeof record.hash !== 'string' ||
    hashAuditRecord(record) !== record.hash
  ) {
    throw new AuditChainError(
      `the last record of audit log ${path} does not verify; run verifyAuditLog to find where`,
    );
  }
  return { seq: record.seq, hash: record.hash };
}
