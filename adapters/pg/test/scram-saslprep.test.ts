/**
 * Passwords that SCRAM hashes after SASLprep, on both sides, against Debian's PostgreSQL and
 * psql (libpq): the server stores the secret of the prepared password, and libpq sends proofs
 * made from it. A proxy that hashed the password as typed failed both logins.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createScramVerifier } from '../src/index.js';
import { type ProxyFixture, startProxyFixture, USERS } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';

/** ROMAN NUMERAL NINE (NFKC: `IX`) and a soft hyphen (mapped to nothing). */
const PASSWORD = 'r\u2168-pass\u00adword';

let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture();
  const d = await f.direct();
  // The server SASLpreps it before making the secret it stores.
  await d.query(`CREATE ROLE sasl_operator LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
  await d.end();
});
afterAll(async () => {
  await f?.stop();
});

describe('SASLprep in SCRAM-SHA-256', () => {
  test('toward PostgreSQL: the operator credential with a password SASLprep changes logs in', async () => {
    const { port } = await f.anotherProxy({
      upstream: { ...f.upstream, user: 'sasl_operator', password: PASSWORD },
    });
    const c = await f.through('alice', undefined, { port });
    try {
      expect((await c.query('SELECT current_user AS u')).rows).toEqual([{ u: 'sasl_operator' }]);
    } finally {
      await c.end();
    }
  });

  test('toward clients: psql proves a password SASLprep changes against a secret the proxy made', async () => {
    const verifier = createScramVerifier(PASSWORD);
    const { port } = await f.anotherProxy({
      async scram(startup) {
        return startup.user === 'alice' ? { verifier, client: { subject: USERS.alice.subject } } : null;
      },
    });
    const { stdout } = await psql({ port, user: 'alice', password: PASSWORD }, ['SELECT 1']);
    expect(stdout).toBe('1\n');
    // The same password typed in its prepared form is the same password.
    expect((await psql({ port, user: 'alice', password: 'rIX-password' }, ['SELECT 2'])).stdout).toBe('2\n');
    await expect(psql({ port, user: 'alice', password: 'r\u2168-pass' }, ['SELECT 3'])).rejects.toMatchObject(
      {
        stderr: expect.stringContaining('password authentication failed'),
      },
    );
  });
});
