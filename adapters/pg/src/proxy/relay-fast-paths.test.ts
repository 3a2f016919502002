/**
 * The relay's fast paths against a live server: decisions taken from the session's memory
 * without waiting (they must end at a policy reload, as awaited ones do), and upstream reads
 * into one reused buffer (bytes still queued toward a slow client must survive the next read).
 */

import { createEngine, staticEvaluator } from '@portcullis/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyFixture, startProxyFixture, testPolicy } from '../../test/support/proxy-fixture.js';

const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'v1') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

describe('remembered decisions', () => {
  test('taken without waiting (same template, Query and Parse), they end at a reload', async () => {
    const c = await f.through('alice');
    try {
      // The first is decided by the policy; the next two are numeric-template hits.
      await c.query('SELECT count(*) FROM log WHERE 1 = 1');
      await c.query('SELECT count(*) FROM log WHERE 2 = 2');
      await c.query({ name: 'remembered-1', text: 'SELECT count(*) FROM log WHERE 3 = 3' });
      engine.setEvaluator(
        staticEvaluator(
          () => ({ effect: 'deny', reasons: [{ rule: 'test.closed', message: 'closed' }], masks: [] }),
          'v2',
        ),
      );
      await expect(c.query('SELECT count(*) FROM log WHERE 4 = 4')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(
        c.query({ name: 'remembered-2', text: 'SELECT count(*) FROM log WHERE 5 = 5' }),
      ).rejects.toMatchObject({ code: '42501' });
      engine.setEvaluator(staticEvaluator(testPolicy, 'v3'));
      expect((await c.query('SELECT count(*)::int AS n FROM log WHERE 6 = 6')).rows).toHaveLength(1);
    } finally {
      engine.setEvaluator(staticEvaluator(testPolicy, 'v1'));
      await c.end();
    }
  });
});

describe('reused upstream read buffer', () => {
  // Rows of varying length, so that messages straddle the 64 KiB reads at every offset.
  const sql = `SELECT g, repeat(chr(97 + g % 26), g % 700) AS pad FROM generate_series(1, 6000) g`;

  async function rows(c: pg.Client): Promise<string> {
    const r = await c.query(sql);
    return r.rows.map((row: { g: number; pad: string }) => `${row.g}:${row.pad}`).join('\n');
  }

  test('a result of many reads arrives byte for byte as sent directly, through a stalled client', async () => {
    const d = await f.direct();
    const expected = await rows(d);
    await d.end();
    const c = await f.through('alice');
    try {
      expect(await rows(c)).toBe(expected);
      // Stall the client's socket mid-result: the proxy's writes queue up, and the reads that
      // follow must go to fresh buffers rather than over the queued bytes.
      const socket = (c as unknown as { connection: { stream: import('node:net').Socket } }).connection
        .stream;
      const pending = rows(c);
      setTimeout(() => socket.pause(), 5);
      await new Promise((r) => setTimeout(r, 300));
      socket.resume();
      expect(await pending).toBe(expected);
      // And the session goes on in step.
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });
});
