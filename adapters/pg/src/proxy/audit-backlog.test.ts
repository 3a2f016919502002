import type { AuditRecord, AuditSink } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { AuditBacklog } from './audit-backlog.js';

function record(n: number): AuditRecord {
  return { id: `r${n}` } as unknown as AuditRecord;
}

/** A sink that refuses every write while `down` is true. */
function flakySink(): { sink: AuditSink; written: string[]; attempts: () => number; down: boolean } {
  const state = {
    written: [] as string[],
    down: true,
    tries: 0,
    attempts: () => state.tries,
    sink: {
      async write(r: AuditRecord) {
        state.tries++;
        if (state.down) throw new Error('disk full');
        state.written.push((r as unknown as { id: string }).id);
      },
      async close() {},
    } as AuditSink,
  };
  return state;
}

function logger() {
  const errors: { obj: object; msg?: string | undefined }[] = [];
  return { errors, log: { error: (obj: object, msg?: string) => errors.push({ obj, msg }) } };
}

describe('AuditBacklog', () => {
  it('writes in order, tries again while the sink fails, and logs the streak once', async () => {
    const s = flakySink();
    const l = logger();
    const backlog = new AuditBacklog(s.sink, l.log, 10);
    backlog.add([record(1), record(2)]);
    backlog.add([record(3)]);
    await expect.poll(() => s.attempts(), { timeout: 2000 }).toBeGreaterThan(3);
    expect(s.written).toEqual([]);
    expect(l.errors).toHaveLength(1);
    s.down = false;
    await expect.poll(() => s.written, { timeout: 2000 }).toEqual(['r1', 'r2', 'r3']);
    expect(backlog.size).toBe(0);
    await backlog.close();
  });

  it('keeps at most its limit, dropping the oldest, and says so', async () => {
    const s = flakySink();
    const l = logger();
    const backlog = new AuditBacklog(s.sink, l.log, 60_000, 3);
    backlog.add([record(1), record(2)]);
    backlog.add([record(3), record(4), record(5)]);
    expect(backlog.size).toBe(3);
    expect(l.errors.some((e) => e.msg?.includes('backlog of unwritten records is full'))).toBe(true);
    s.down = false;
    await backlog.close();
    expect(s.written).toEqual(['r3', 'r4', 'r5']);
  });

  it('makes a last attempt at close, then logs what is lost and tries no more', async () => {
    const s = flakySink();
    const l = logger();
    const backlog = new AuditBacklog(s.sink, l.log, 10);
    backlog.add([record(1)]);
    await backlog.close();
    const lost = l.errors.find((e) => e.msg?.includes('before the proxy closed'));
    expect(lost?.obj).toMatchObject({ lost: 1 });
    const tries = s.attempts();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.attempts()).toBe(tries);
  });
});
