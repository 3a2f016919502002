import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, hashAuditRecord } from './audit-chain.js';
import type { ChainedAuditRecord } from './audit-record.js';

export type AuditVerification =
  | { ok: true; records: number; lastHash: string }
  /** `line` is 1-based; `seq` is the sequence number the broken line should have carried. */
  | { ok: false; line: number; seq: number; reason: string };

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
  #failure: Extract<AuditVerification, { ok: false }> | undefined;

  /** Feed the next line (without its newline); returns false once the chain is broken. */
  push(text: string): boolean {
    if (this.#failure) return false;
    this.#line += 1;
    const expected = this.#seq + 1;
    const fail = (reason: string) => {
      this.#failure = { ok: false, line: this.#line, seq: expected, reason };
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
    if (record.seq !== expected) {
      return fail(`seq is ${record.seq} where ${expected} was expected: records were removed or reordered`);
    }
    if (record.prev !== this.#prev) return fail("prev does not match the previous record's hash");
    this.#seq = record.seq;
    this.#prev = record.hash;
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
  }

  result(): AuditVerification {
    return this.#failure ?? { ok: true, records: this.#seq, lastHash: this.#prev };
  }
}

/**
 * Verify a hash-chained audit log, given its path or its lines, and report the first broken
 * link. A file is streamed, so a large log is not read into memory.
 */
export async function verifyAuditLog(source: string | readonly string[]): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier();
  if (typeof source !== 'string') {
    const lines = source.length > 0 && source[source.length - 1] === '' ? source.slice(0, -1) : source;
    for (const line of lines) if (!verifier.push(line)) break;
    return verifier.result();
  }
  const stream = createReadStream(source, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (!verifier.push(line)) break;
  } finally {
    lines.close();
    stream.destroy();
  }
  if (verifier.result().ok && !(await endsWithNewline(source))) verifier.truncated();
  return verifier.result();
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
