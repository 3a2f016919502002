import { expect } from 'vitest';

/** Wait, up to about 5 s, for `check` to hold (a server backend to go, a pool to fill), then assert it. */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await check()).toBe(true);
}
