import { describe, expect, test } from 'vitest';
import { md5PasswordResponse } from './md5-password.js';
import { createScramClient } from './scram-client.js';

describe('SCRAM-SHA-256 client', () => {
  // RFC 7677, section 3.
  test('matches the RFC 7677 example exchange', async () => {
    const scram = createScramClient('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(scram.clientFirst).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await scram.respond(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    expect(final).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => scram.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
  });

  test('refuses a wrong server signature, a foreign nonce and an absurd iteration count', async () => {
    const scram = createScramClient('pencil', { nonce: 'abc' });
    await expect(scram.respond('r=xyz123,s=AAAA,i=4096')).rejects.toThrow(/nonce/);
    await expect(scram.respond('r=abc123,s=AAAA,i=999999999')).rejects.toThrow(/iteration/);
    await scram.respond('r=abc123,s=AAAA,i=4096');
    expect(() => scram.verify('v=AAAA')).toThrow(/signature/);
  });
});

test('MD5 password response', () => {
  // md5(md5('secret' + 'bob') + salt), as libpq computes it.
  expect(md5PasswordResponse('bob', 'secret', Buffer.from([1, 2, 3, 4]))).toMatch(/^md5[0-9a-f]{32}$/);
});
