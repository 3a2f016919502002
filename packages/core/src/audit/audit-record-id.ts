import { randomFillSync } from 'node:crypto';

// RFC 9562 §5.7 (UUID version 7): https://www.rfc-editor.org/rfc/rfc9562#section-5.7
// 48 bits of Unix milliseconds, the version nibble 7, a 12-bit counter (the RFC's "fixed
// bit-length dedicated counter", §6.2 method 1), the variant bits 10, and 62 random bits.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The counter restarts below this in each new millisecond, leaving room to count up within it. */
const COUNTER_SEED_LIMIT = 0x800;
const COUNTER_MAX = 0xfff;
/** Random bytes per id: 8 for the random field, 2 to seed the counter. */
const RANDOM_PER_ID = 10;
const POOL_IDS = 256;

const pool = Buffer.alloc(RANDOM_PER_ID * POOL_IDS);
let poolOffset = pool.length;

/** Where this id's random bytes start in the pool. */
function randomAt(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += RANDOM_PER_ID;
  return at;
}

const seed = (r: number): number =>
  (((pool[r + 8] as number) << 8) | (pool[r + 9] as number)) % COUNTER_SEED_LIMIT;

/**
 * Makes audit record ids on `clock`: version 7 UUIDs, so ids sort (as text too) in the order
 * they were made, and by time across processes. A random (version 4) id lands at a random
 * place in every index keyed on it: the gateway's audit index paid several times a record's
 * insert for that, more as it grew, because each insert touched a different page
 * (benchmarks/gateway). Ids from one generator strictly increase: in the same millisecond the
 * counter goes up; when it runs out, or the clock steps back, the id's time runs ahead of the
 * clock until it catches up (as the RFC allows).
 */
export function auditRecordIdGenerator(clock: () => number = Date.now): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const r = randomAt();
    const now = Math.floor(clock());
    if (now > lastMs) {
      lastMs = now;
      counter = seed(r);
    } else if (counter < COUNTER_MAX) {
      counter += 1;
    } else {
      lastMs += 1;
      counter = seed(r);
    }
    // 48 bits do not fit JavaScript's 32-bit shifts: the high 16 and the low 32 apart.
    const high = Math.floor(lastMs / 0x100000000);
    const low = lastMs >>> 0;
    return (
      (HEX[(high >>> 8) & 0xff] as string) +
      (HEX[high & 0xff] as string) +
      (HEX[low >>> 24] as string) +
      (HEX[(low >>> 16) & 0xff] as string) +
      '-' +
      (HEX[(low >>> 8) & 0xff] as string) +
      (HEX[low & 0xff] as string) +
      '-' +
      (HEX[0x70 | (counter >>> 8)] as string) +
      (HEX[counter & 0xff] as string) +
      '-' +
      (HEX[0x80 | ((pool[r] as number) & 0x3f)] as string) +
      (HEX[pool[r + 1] as number] as string) +
      '-' +
      (HEX[pool[r + 2] as number] as string) +
      (HEX[pool[r + 3] as number] as string) +
      (HEX[pool[r + 4] as number] as string) +
      (HEX[pool[r + 5] as number] as string) +
      (HEX[pool[r + 6] as number] as string) +
      (HEX[pool[r + 7] as number] as string)
    );
  };
}

/** A new audit record id (see auditRecordIdGenerator): a version 7 UUID. */
export const newAuditRecordId: () => string = auditRecordIdGenerator();
