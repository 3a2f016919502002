import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { SaltedPasswords } from './salted-passwords.js';
import { createScramClient } from './scram-client.js';

const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');

describe('SaltedPasswords', () => {
  test('derives PBKDF2-HMAC-SHA-256 once per password, salt and iteration count', async () => {
    const cache = new SaltedPasswords();
    const first = await cache.derive('pencil', SALT, 4096);
    expect(first).toEqual(pbkdf2Sync('pencil', SALT, 4096, 32, 'sha256'));
    // The very buffer again: nothing was derived the second time.
    expect(await cache.derive('pencil', SALT, 4096)).toBe(first);
    const others = [
      await cache.derive('pencil2', SALT, 4096),
      await cache.derive('pencil', Buffer.from('another salt'), 4096),
      await cache.derive('pencil', SALT, 4097),
    ];
    for (const other of others) expect(other.equals(first)).toBe(false);
    // A salt that ends where the password begins is another pair, not the same key.
    const joined = await cache.derive('pen\0cil', SALT, 4096);
    const longerSalt = Buffer.concat([SALT, Buffer.from('\0pen')]);
    const split = await cache.derive('cil', longerSalt, 4096);
    expect(split.equals(joined)).toBe(false);
    expect(split).toEqual(pbkdf2Sync('cil', longerSalt, 4096, 32, 'sha256'));
    expect(cache.size).toBe(6);
  });

  test('logins that start together share one derivation', async () => {
    const cache = new SaltedPasswords();
    const all = await Promise.all(Array.from({ length: 8 }, () => cache.derive('pencil', SALT, 4096)));
    for (const b of all) expect(b).toBe(all[0]);
    expect(cache.size).toBe(1);
  });

  test('keeps at most its capacity, dropping the least recently used', async () => {
    const cache = new SaltedPasswords(2);
    const a = await cache.derive('a', SALT, 1);
    const b = await cache.derive('b', SALT, 1);
    expect(await cache.derive('a', SALT, 1)).toBe(a); // a is now the most recent
    await cache.derive('c', SALT, 1); // b goes
    expect(cache.size).toBe(2);
    expect(await cache.derive('a', SALT, 1)).toBe(a);
    const b2 = await cache.derive('b', SALT, 1);
    expect(b2).not.toBe(b);
    expect(b2).toEqual(b);
  });

  test('a failed derivation is not kept', async () => {
    const cache = new SaltedPasswords();
    // Node refuses an iteration count of 0; the next call must try again rather than replay it.
    await expect(cache.derive('pencil', SALT, 0)).rejects.toThrow();
    await expect(cache.derive('pencil', SALT, 0)).rejects.toThrow();
    expect(cache.size).toBe(0);
  });

  test('the SCRAM client proves with the kept SaltedPassword', async () => {
    const cache = new SaltedPasswords();
    const serverFirst =
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const login = () =>
      createScramClient('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO', saltedPasswords: cache });
    // RFC 7677's example exchange, with the cache and then from it.
    const expected =
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
    expect(await login().respond(serverFirst)).toBe(expected);
    const again = login();
    expect(await again.respond(serverFirst)).toBe(expected);
    expect(() => again.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
    // What the client proves with is what the cache holds: spoil it and the proof changes.
    (await cache.derive('pencil', SALT, 4096)).fill(0);
    expect(await login().respond(serverFirst)).not.toBe(expected);
  });
});
