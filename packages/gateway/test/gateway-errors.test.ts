import { errorClasses, PortcullisError } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { gatewayErrorClasses } from '../src/index.js';
import { runCli } from './cli-helpers.js';

describe('gatewayErrorClasses', () => {
  it('gives every class its registered code, distinct from core codes', () => {
    for (const [code, Cls] of Object.entries(gatewayErrorClasses)) {
      const err = new (Cls as new (m: string) => PortcullisError)('x');
      expect(err.code).toBe(code);
      expect(err).toBeInstanceOf(PortcullisError);
      expect(Object.keys(errorClasses)).not.toContain(code);
    }
  });
});

describe('portcullis up --exit-after-ready', () => {
  it('prints the psql lines and the approvals page, then shuts down', async () => {
    const result = await runCli(['up', '--exit-after-ready']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /PGPASSWORD=pcc_\S+ psql "host=127\.0\.0\.1 port=\d+ user=agent-7 dbname=postgres"/,
    );
    expect(result.stdout).toMatch(/user=alice dbname=postgres/);
    expect(result.stdout).toMatch(/Approvals page: http:\/\/127\.0\.0\.1:\d+\/approvals/);
    expect(result.stdout).toContain('portcullis: stopped');
  });
});
