import { describe, expect, it } from 'vitest';
import { scramPassword } from './scram-password.js';

describe('scramPassword (SASLprep, as PostgreSQL and libpq apply it)', () => {
  it.each([
    ['an ASCII password is itself, control characters too', 's3cret\tpw', 's3cret\tpw'],
    ['a soft hyphen is mapped to nothing', 'pass\u00adword', 'password'],
    ['a no-break space is a space', 'my\u00a0pass', 'my pass'],
    ['compatibility characters are normalised (NFKC)', 'r\u2168-\ufb01le', 'rIX-file'],
    ['a decomposed letter is composed', 'cafe\u0301', 'caf\u00e9'],
    ['a letter already composed is kept', 'pässwörd', 'pässwörd'],
  ])('%s', (_name, password, prepared) => {
    expect(scramPassword(password)).toBe(prepared);
  });

  it.each([
    ['a prohibited character (a private-use one)', 'pw\ue000x'],
    ['an unassigned code point', 'pw\u0221x'],
    ['right-to-left text mixed with left-to-right', '\u05d0abc\u05d0'],
    ['nothing left after mapping', '\u00ad\u00ad'],
  ])('%s: the password as given', (_name, password) => {
    expect(scramPassword(password)).toBe(password);
  });

  it('checks for prohibited characters after normalising, as RFC 4013 says (PostgreSQL: before)', () => {
    // U+0340 is prohibited (RFC 3454 C.8) and NFKC makes it U+0300 (composed with the w: U+1E81), which is not: PostgreSQL
    // hashes this password as given, this as normalised (the difference the docs name).
    expect(scramPassword('pw\u0340x')).toBe('p\u1e81x');
    expect(scramPassword('pw\u0340x')).not.toBe('pw\u0340x');
  });
});
