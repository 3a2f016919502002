import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ProxyFixture } from './proxy-fixture.js';
import { psqlBytes } from './psql.js';

/**
 * What `copy` (a COPY … TO STDOUT) gives `user` through the proxy, loaded back with psql's
 * `\copy … FROM` (with `options`) into a new table like `like`, as the superuser: the rows,
 * ordered by `id`. Masked data must load into columns of the original's types.
 */
export async function reloadedCopy(
  f: ProxyFixture,
  user: { name: string; password: string },
  copy: string,
  like: string,
  options: string,
): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-copy-'));
  const d = await f.direct();
  try {
    const file = join(dir, 'copy.data');
    const out = await psqlBytes({ port: f.port, user: user.name, password: user.password }, [copy]);
    expect(out.stderr.toString()).toBe('');
    writeFileSync(file, out.stdout);
    await d.query(`CREATE TABLE reloaded (LIKE ${like})`);
    const loaded = await psqlBytes(
      { host: f.server.host, port: f.server.port, user: f.server.user, password: f.server.password },
      [`\\copy reloaded FROM '${file}'${options}`],
    );
    expect(loaded.stderr.toString()).toBe('');
    return (await d.query('SELECT * FROM reloaded ORDER BY id')).rows;
  } finally {
    await d.query('DROP TABLE IF EXISTS reloaded');
    await d.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
