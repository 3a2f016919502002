import { describe, expect, it } from 'vitest';
import { auditRecordIdGenerator, newAuditRecordId } from './audit-record-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond time an id carries. */
const msOf = (id: string): number => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
const counterOf = (id: string): number => Number.parseInt(id.slice(15, 18), 16);

function strictlyIncreasing(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if ((ids[i - 1] as string) >= (ids[i] as string)) return false;
  return true;
}

describe('audit record ids', () => {
  it('are version 7 UUIDs with the variant bits of RFC 9562', () => {
    for (let i = 0; i < 1000; i++) expect(newAuditRecordId()).toMatch(V7);
  });

  it('carry the clock in their first 48 bits, as the RFC lays it out', () => {
    // The RFC's example time (appendix A.6): 0x017F22E279B0 ms.
    expect(auditRecordIdGenerator(() => 0x017f22e279b0)()).toMatch(/^017f22e2-79b0-7/);
    // Both halves of the split: bits above 32 and the low 32.
    expect(auditRecordIdGenerator(() => 0xffffffffffff)()).toMatch(/^ffffffff-ffff-7/);
    expect(auditRecordIdGenerator(() => 0x0001_0000_0000)()).toMatch(/^00010000-0000-7/);
    const now = Date.now();
    const id = newAuditRecordId();
    expect(msOf(id)).toBeGreaterThanOrEqual(now);
    expect(msOf(id)).toBeLessThanOrEqual(Date.now());
  });

  it('strictly increase in one millisecond, past the counter, and when the clock steps back', () => {
    let clock = 1_700_000_000_000;
    const next = auditRecordIdGenerator(() => clock);
    const ids: string[] = [];
    // More ids in one millisecond than the 12-bit counter holds.
    for (let i = 0; i < 10_000; i++) ids.push(next());
    expect(strictlyIncreasing(ids)).toBe(true);
    expect(msOf(ids[0] as string)).toBe(clock);
    // Each new millisecond's counter starts in the lower half, so the first 2048 fit in it.
    expect(msOf(ids[2047] as string)).toBe(clock);
    const ranAhead = msOf(ids.at(-1) as string);
    expect(ranAhead).toBeGreaterThan(clock);
    // The clock steps back an hour: ids still go up, from where they were.
    clock -= 3_600_000;
    const afterStep = next();
    expect(afterStep > (ids.at(-1) as string)).toBe(true);
    expect(msOf(afterStep)).toBe(ranAhead);
    // Once the clock is past the ids' time again, they follow the clock.
    clock += 3_600_000 + 100;
    const caughtUp = next();
    expect(caughtUp > afterStep).toBe(true);
    expect(msOf(caughtUp)).toBe(clock);
  });

  it('seed the counter at random in each new millisecond', () => {
    let clock = 1_700_000_000_000;
    const next = auditRecordIdGenerator(() => clock++);
    const counters = new Set(Array.from({ length: 200 }, () => counterOf(next())));
    expect(counters.size).toBeGreaterThan(150);
    for (const c of counters) expect(c).toBeLessThan(0x800);
  });

  it('are unique, and their random part differs between ids of the same millisecond', () => {
    const ids = Array.from({ length: 100_000 }, () => newAuditRecordId());
    expect(new Set(ids).size).toBe(ids.length);
    const next = auditRecordIdGenerator(() => 1_700_000_000_000);
    const tails = new Set(Array.from({ length: 1000 }, () => next().slice(19)));
    expect(tails.size).toBe(1000);
  });
});
