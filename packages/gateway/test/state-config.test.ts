import { describe, expect, it } from 'vitest';
import { checkSecrets } from '../src/config/load-config.js';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';

const base = {
  resources: [
    {
      name: 'db',
      listen: { port: 6432 },
      upstream: { host: '127.0.0.1', user: 'op', password: 'env:UPSTREAM' },
    },
  ],
};

function issues(doc: Record<string, unknown>): string[] {
  try {
    validateConfig({ ...base, ...doc }, '/etc/portcullis');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('state: postgres', () => {
  it('takes a URL or host/port/database/user, and a password reference', () => {
    const config = validateConfig(
      {
        ...base,
        state: { postgres: { url: 'postgres://gw@db.internal:5433/portcullis', password: 'env:STATE_PW' } },
      },
      '/etc/portcullis',
    );
    expect(config.state.postgres).toEqual({
      url: 'postgres://gw@db.internal:5433/portcullis',
      password: { from: 'env', name: 'STATE_PW' },
    });
    const byParts = validateConfig(
      {
        ...base,
        state: { postgres: { host: 'db', port: 5433, database: 'pc', user: 'gw', password: 'file:/run/pw' } },
      },
      '/etc/portcullis',
    );
    expect(byParts.state.postgres).toEqual({
      host: 'db',
      port: 5433,
      database: 'pc',
      user: 'gw',
      password: { from: 'file', path: '/run/pw' },
    });
    expect(validateConfig(base, '/etc/portcullis').state).toEqual({
      path: '/etc/portcullis/.portcullis/state.db',
      retention: '2160h',
      retentionMs: 2160 * 3_600_000,
    });
  });

  it('refuses path and postgres together, a password in the URL, and other mistakes', () => {
    expect(issues({ state: { path: 's.db', postgres: { host: 'db' } } })).toEqual([
      'state: give either path (a SQLite file) or postgres (a shared database), not both',
    ]);
    const leaked = issues({ state: { postgres: { url: 'postgres://gw:hunter2@db/pc' } } });
    expect(leaked).toEqual([
      'state.postgres.url: must not hold a password; use state.postgres.password: env:VARIABLE',
    ]);
    expect(leaked.join()).not.toContain('hunter2');
    expect(issues({ state: { postgres: { url: 'mysql://db/pc' } } })).toEqual([
      'state.postgres.url: expected postgres://user@host:port/database',
    ]);
    expect(issues({ state: { postgres: {} } })).toEqual([
      'state.postgres: give url (postgres://user@host:port/database) or host, database and user',
    ]);
    expect(issues({ state: { postgres: { host: 'db', password: 'hunter2' } } })).toEqual([
      'state.postgres.password: inline secrets are not accepted; use env:VARIABLE or file:/path/to/secret',
    ]);
    expect(issues({ state: { postgres: { host: 'db', pool: 3 } } })[0]).toMatch(/^state\.postgres\.pool: /);
  });

  it('checks the state password with the other secrets', async () => {
    const config = validateConfig(
      { ...base, state: { postgres: { host: 'db', password: 'env:STATE_PW' } } },
      '/etc/portcullis',
    );
    await expect(checkSecrets(config, { UPSTREAM: 'x' })).rejects.toThrow(
      /state\.postgres\.password: .*STATE_PW/,
    );
    await expect(checkSecrets(config, { UPSTREAM: 'x', STATE_PW: 'y' })).resolves.toBeUndefined();
  });
});

describe('policy.bundle as a URL', () => {
  it('is polled with OPA’s delays, 60 to 120 s unless told otherwise', () => {
    const config = validateConfig(
      { ...base, policy: { bundle: 'https://bundles.example/p.tar.gz' } },
      '/etc',
    );
    expect(config.policy).toEqual({
      kind: 'remote-bundle',
      url: 'https://bundles.example/p.tar.gz',
      entrypoint: 'portcullis/decision',
      polling: { minDelayMs: 60_000, maxDelayMs: 120_000 },
    });
    const fast = validateConfig(
      {
        ...base,
        policy: {
          bundle: 'http://127.0.0.1:8181/b',
          polling: { min_delay_seconds: 5, max_delay_seconds: 10 },
        },
      },
      '/etc',
    );
    expect(fast.policy).toMatchObject({ polling: { minDelayMs: 5000, maxDelayMs: 10_000 } });
  });

  it('refuses polling without a URL, inverted or bad delays, and a wasm URL', () => {
    expect(issues({ policy: { bundle: 'b.tar.gz', polling: { min_delay_seconds: 1 } } })).toEqual([
      'policy.polling: applies only to a bundle URL (policy.bundle: https://…)',
    ]);
    expect(
      issues({ policy: { bundle: 'https://x/b', polling: { min_delay_seconds: 10, max_delay_seconds: 5 } } }),
    ).toEqual(['policy.polling: max_delay_seconds must not be less than min_delay_seconds']);
    expect(issues({ policy: { bundle: 'https://x/b', polling: { min_delay_seconds: 'soon' } } })).toEqual([
      'policy.polling.min_delay_seconds: expected a positive number of seconds, got "soon"',
    ]);
    expect(issues({ policy: { wasm: 'https://x/p.wasm' } })).toEqual([
      'policy.wasm: only a bundle can be fetched from a URL',
    ]);
  });
});
