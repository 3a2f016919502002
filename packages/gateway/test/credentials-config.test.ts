import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';

const resource = {
  name: 'prod-db',
  listen: { port: 6432 },
  upstream: { host: 'db.internal', user: 'portcullis', password: 'env:PROD_DB_PASSWORD' },
};

function issues(doc: Record<string, unknown>): string[] {
  try {
    validateConfig({ resources: [resource], ...doc }, '/etc/portcullis');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('credentials: in portcullis.yaml', () => {
  it('defaults to a 1h cap, 15m default and no admin groups', () => {
    expect(validateConfig({ resources: [resource] }, '/etc').credentials).toEqual({
      maxTtl: '1h',
      maxTtlMs: 3_600_000,
      defaultTtl: '15m',
      adminGroups: [],
    });
  });

  it('reads max_ttl, default_ttl and admin_groups, and names bad fields', () => {
    const config = validateConfig(
      {
        resources: [resource],
        credentials: { max_ttl: '30m', default_ttl: '5m', admin_groups: ['security'] },
      },
      '/etc',
    );
    expect(config.credentials).toEqual({
      maxTtl: '30m',
      maxTtlMs: 1_800_000,
      defaultTtl: '5m',
      adminGroups: ['security'],
    });
    const found = issues({ credentials: { max_ttl: 'forever', admin_groups: 'security', ttl: '1m' } });
    expect(found).toContain(
      'credentials.ttl: unknown field; expected one of max_ttl, default_ttl, admin_groups',
    );
    expect(found).toContain(
      'credentials.max_ttl: expected a duration such as 30s, 15m or 1h30m, got "forever"',
    );
    expect(found.some((i) => i.startsWith('credentials.admin_groups: expected a list of strings'))).toBe(
      true,
    );
    expect(issues({ credentials: { max_ttl: '10m', default_ttl: '15m' } })).toEqual([
      'credentials.default_ttl: 15m is longer than credentials.max_ttl (10m)',
    ]);
  });
});
