import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, hashAuditRecord } from './audit-chain.js';
import type { ChainedAuditRecord } from './audit-record.js';

export type AuditVerification =
  /** `records` checked, the first from `firstSeq` (1 unless verified from the first record). */
  | { ok: true; records: number; firstSeq: number; lastHash: string }
  /**
   * `line` is 1-based, in `file` when several files were verified; `seq` is the sequence
   * number the broken line should have carried.
   */
  | { ok: false; line: number; seq: number; reason: string; file?: string };

export interface AuditVerifyOptions {
  /**
   * `genesis` (the default): the first record must be seq 1, linked to 64 zeros; a log with
   * its first records removed fails. `first-record`: the chain is taken up at whatever the
   * first record says, for a log whose older rotated files were removed on purpose; only
   * what follows it is checked, and `firstSeq` tells where that was.
   */
  from?: 'genesis' | 'first-record';
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks records one line at a time: each must be JSON, hash to its own `hash` (else it was
 * altered), carry the next `seq` (else records were removed or reordered) and point at the
 * previous record's hash. Records removed from the end leave no trace in the log itself:
 * compare `lastHash` with one kept elsewhere to catch that.
 */
export class AuditChainVerifier {
  #line = 0;
  #seq = 0;
  #prev = GENESIS_HASH;
  #count = 0;
  #firstSeq = 1;
  #adopt: boolean;
  #file: string | undefined;
  #failure: Extract<AuditVerification, { ok: false }> | undefined;

  constructor(options: AuditVerifyOptions = {}) {
    this.#adopt = options.from === 'first-record';
  }

  /** The lines pushed from now on are the file at `path` (named in a failure; lines count from 1). */
  startFile(path: string): void {
    this.#file = path;
    this.#line = 0;
  }

  /** Feed the next line (without its newline); returns false once the chain is broken. */
  push(text: string): boolean {
    if (this.#failure) return false;
    this.#line += 1;
    const expected = this.#seq + 1;
    const fail = (reason: string) => {
      this.#failure = { ok: false, line: this.#line, seq: expected, reason };
      if (this.#file !== undefined) this.#failure.file = this.#file;
      return false;
    };
    let record: ChainedAuditRecord;
    try {
      record = JSON.parse(text) as ChainedAuditRecord;
    } catch {
      return fail(text === '' ? 'empty line' : 'not JSON: the line was truncated or corrupted');
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return fail('not a record');
    if (
      !Number.isSafeInteger(record.seq) ||
      typeof record.prev !== 'string' ||
      typeof record.hash !== 'string' ||
      !HEX64.test(record.hash)
    ) {
      return fail('missing or malformed seq, prev or hash');
    }
    if (hashAuditRecord(record) !== record.hash)
      return fail('hash does not match the record: a field was altered');
    if (this.#adopt && this.#count === 0 && record.seq >= 1) {
      // Taken up here: the records before it are not in what was given.
      this.#seq = record.seq - 1;
      this.#prev = record.prev;
      this.#firstSeq = record.seq;
    }
    if (record.seq !== this.#seq + 1) {
      return fail(`seq is ${record.seq} where ${expected} was expected: records were removed or reordered`);
    }
    if (record.prev !== this.#prev) return fail("prev does not match the previous record's hash");
    this.#seq = record.seq;
    this.#prev = record.hash;
    this.#count += 1;
    return true;
  }

  /** Report a file that does not end in a newline: its last record was cut short. */
  truncated(): void {
    if (this.#failure) return;
    this.#failure = {
      ok: false,
      line: this.#line,
      seq: this.#seq,
      reason: 'the log ends in an incomplete line',
    };
    if (this.#file !== undefined) this.#failure.file = this.#file;
  }

  result(): AuditVerification {
    return (
      this.#failure ?? { ok: true, records: this.#count, firstSeq: this.#firstSeq, lastHash: this.#prev }
    );
  }
}

/**
 * Verify a hash-chained audit log, given its path or its lines, and report the first broken
 * link. A file is streamed, so a large log is not read into memory.
 */
export async function verifyAuditLog(
  source: string | readonly string[],
  options: AuditVerifyOptions = {},
): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(options);
  if (typeof source !== 'string') {
    const lines = source.length > 0 && source[source.length - 1] === '' ? source.slice(0, -1) : source;
    for (const line of lines) if (!verifier.push(line)) break;
    return verifier.result();
  }
  await pushFile(verifier, source);
  return verifier.result();
}

/**
 * Verify a log kept in several files (rotated: `rotatedAuditLogs`, then the current file),
 * given in chain order, as one chain: each file's first record must link to the previous
 * file's last. A failure names the file.
 */
export async function verifyAuditLogs(
  paths: readonly string[],
  options: AuditVerifyOptions = {},
): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(options);
  for (const path of paths) {
    verifier.startFile(path);
    if (!(await pushFile(verifier, path))) break;
  }
  return verifier.result();
}

/** Streams a file's lines into the verifier; false once the chain is broken. */
async function pushFile(verifier: AuditChainVerifier, path: string): Promise<boolean> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (!verifier.push(line)) return false;
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!(await endsWithNewline(path))) {
    verifier.truncated();
    return false;
  }
  return true;
}

async function endsWithNewline(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
