import { writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { AuditChainError, AuditWriteError } from '../errors.js';
import { chainAuditLine, GENESIS_HASH, hashAuditRecord } from './audit-chain.js';
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
}

export interface JsonlAuditSink extends AuditSink {
  /** Sequence number of the last record in the log (0 for an empty log). */
  readonly seq: number;
  /** Hash of the last record, which the next record's `prev` will be. */
  readonly lastHash: string;
  /** Stores at once, and returns true, when writes are synchronous (`syncWrites`) without fsync. */
  writeNow(record: AuditRecord): boolean;
}

const TAIL_CHUNK = 64 * 1024;

/**
 * A hash-chained JSON-lines audit log. Each record is one line of canonical JSON with `seq`,
 * `prev` and `hash`; `verifyAuditLog` finds the first altered, removed or reordered record.
 * Opening an existing log continues its chain from its last line, which must be complete and
 * intact. One sink per file: two writers appending to one log would fork the chain.
 */
export async function createJsonlAuditSink(options: JsonlAuditSinkOptions): Promise<JsonlAuditSink> {
  const { path, fsync = false } = options;
  const syncWrites = options.syncWrites ?? !fsync;
  let handle: FileHandle;
  try {
    handle = await open(path, 'a+');
  } catch (err) {
    throw new AuditWriteError(`cannot open audit log ${path}: ${(err as Error).message}`, { cause: err });
  }
  let tail: { seq: number; hash: string };
  try {
    tail = await readChainTail(handle, path);
  } catch (err) {
    await handle.close().catch(() => {});
    if (err instanceof AuditChainError) throw err;
    throw new AuditWriteError(`cannot read audit log ${path}: ${(err as Error).message}`, { cause: err });
  }

  let { seq, hash: lastHash } = tail;
  let queue: Promise<void> = Promise.resolve();
  let failure: unknown;
  let closed = false;

  /** The record's line, checked against the sink's state; throws AuditWriteError. */
  function prepare(record: AuditRecord): { bytes: Buffer; hash: string } {
    if (closed) throw new AuditWriteError(`audit log ${path} is closed`);
    // After a failed write the file may end in part of a line; chaining more records onto it
    // would hide the gap, so the sink stays failed until reopened (which then refuses the log).
    if (failure !== undefined)
      throw new AuditWriteError(`audit log ${path} failed earlier`, { cause: failure });
    try {
      const linked = chainAuditLine(record, seq + 1, lastHash);
      return { bytes: Buffer.from(`${linked.line}\n`, 'utf8'), hash: linked.hash };
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

  /** Store the record with write(2) on this thread. */
  function appendNow(record: AuditRecord): void {
    const { bytes, hash } = prepare(record);
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(handle.fd, bytes, offset, bytes.length - offset);
    } catch (err) {
      throw failed(err);
    }
    seq += 1;
    lastHash = hash;
  }

  async function append(record: AuditRecord): Promise<void> {
    const { bytes, hash } = prepare(record);
    try {
      let offset = 0;
      while (offset < bytes.length) {
        offset += syncWrites
          ? writeSync(handle.fd, bytes, offset, bytes.length - offset)
          : (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
      }
      if (fsync) await handle.sync();
    } catch (err) {
      throw failed(err);
    }
    seq += 1;
    lastHash = hash;
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
          appendNow(record);
          return Promise.resolve();
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
      closed = true;
      await queue;
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
