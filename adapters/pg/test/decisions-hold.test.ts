/**
 * `decisionsHold`: a statement that would run on an earlier decision (remembered by the
 * decision memo, or made at Parse for a named prepared statement) first asks whether the
 * session's decisions still hold, and goes to the engine when they do not. What an embedder
 * such as the gateway uses to stop the next statement of a session whose credential is
 * revoked, without giving up the memo.
 */

import { createEngine, staticEvaluator } from '@portcullis/core';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { revocableEngine } from './support/revocable-engine.js';

const inner = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });
let hookThrows = false;
/** Answer with a promise, as a hook that must ask a shared store does. */
let answerLater = false;
const calls = { hook: 0 };
// No onGeneration: these sessions go without the native lane (audited-lane.test.ts has it).
const { engine, state } = revocableEngine(inner, false);

let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture({
    proxy: {
      engine,
      decisionsHold: () => {
        calls.hook += 1;
        if (answerLater) {
          return new Promise<boolean>((resolve, reject) =>
            setTimeout(
              () => (hookThrows ? reject(new Error('state store gone')) : resolve(!state.revoked)),
              1,
            ),
          );
        }
        if (hookThrows) throw new Error('state store gone');
        return !state.revoked;
      },
    },
  });
});
beforeEach(() => {
  state.revoked = false;
  hookThrows = false;
  answerLater = false;
  state.decided = 0;
  calls.hook = 0;
});
afterAll(async () => {
  await f?.stop();
  await inner.close();
});

async function session(run: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = await f.through('alice');
  try {
    await run(c);
  } finally {
    await c.end();
  }
}

describe('decisionsHold', () => {
  test('while it holds, a repeated statement runs on the remembered decision; then the engine decides', async () => {
    await session(async (c) => {
      for (let i = 0; i < 4; i++) await c.query('SELECT id FROM users WHERE id = 1');
      expect(state.decided).toBe(1);
      expect(calls.hook).toBeGreaterThanOrEqual(3);
      state.revoked = true;
      await expect(c.query('SELECT id FROM users WHERE id = 1')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('login revoked'),
      });
      expect(state.decided).toBe(2);
      // The numeric-template variant of the same text is not let by either.
      await expect(c.query('SELECT id FROM users WHERE id = 2')).rejects.toMatchObject({ code: '42501' });
    });
  });

  test('an Execute of a statement prepared earlier is decided again, and refused', async () => {
    await session(async (c) => {
      const q = { name: 'by-id', text: 'SELECT id FROM users WHERE id = $1' };
      expect((await c.query({ ...q, values: [1] })).rows).toEqual([{ id: 1 }]);
      expect((await c.query({ ...q, values: [2] })).rows).toEqual([{ id: 2 }]);
      // Decided once, at Parse.
      expect(state.decided).toBe(1);
      state.revoked = true;
      await expect(c.query({ ...q, values: [1] })).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('login revoked'),
      });
      // The session goes on, and runs again once the embedder says its decisions hold.
      state.revoked = false;
      expect((await c.query({ ...q, values: [1] })).rows).toEqual([{ id: 1 }]);
    });
  });

  test('a hook that throws counts as not holding: the engine decides every statement', async () => {
    await session(async (c) => {
      hookThrows = true;
      for (let i = 0; i < 3; i++) await c.query('SELECT 1');
      expect(state.decided).toBe(3);
    });
  });
});

describe('decisionsHold answering with a promise', () => {
  test('statements wait for it, then run on the remembered decision: asked once each, no engine', async () => {
    answerLater = true;
    await session(async (c) => {
      for (let i = 0; i < 4; i++) await c.query('SELECT id FROM users WHERE id = 1');
      expect(state.decided).toBe(1);
      // Once per statement, the first included: the synchronous path keeps the promise for the other.
      expect(calls.hook).toBe(4);
      const q = { name: 'later', text: 'SELECT id FROM users WHERE id = $1' };
      await c.query({ ...q, values: [1] });
      await c.query({ ...q, values: [2] });
      expect(state.decided).toBe(2);
      state.revoked = true;
      await expect(c.query('SELECT id FROM users WHERE id = 1')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query({ ...q, values: [1] })).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('login revoked'),
      });
    });
  });

  test('a rejected answer counts as not holding: the engine decides', async () => {
    answerLater = true;
    hookThrows = true;
    await session(async (c) => {
      for (let i = 0; i < 3; i++) await c.query('SELECT 1');
      expect(state.decided).toBe(3);
    });
  });
});

test('a decisionsHold that is not a function is refused at creation', async () => {
  const { createPgProxy } = await import('../src/index.js');
  expect(() =>
    createPgProxy({
      engine,
      resource: { name: 'db' },
      upstream: { host: '127.0.0.1', port: 5432, user: 'u', password: '' },
      decisionsHold: true as unknown as () => boolean,
    }),
  ).toThrow(/decisionsHold/);
});
