import { describe, expect, it } from 'vitest';
import { ibanCheckDigits, ibanMod97, ibanValid } from './iban.js';
import { ipv4Valid, ipv6Valid } from './ip-address.js';
import { luhnCheckDigit, luhnValid } from './luhn.js';
import { spanBound } from './span-bound.js';
import { usSsnValid } from './us-ssn.js';

describe('luhn', () => {
  it('accepts valid numbers and rejects one-digit changes', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('41111111x1111111')).toBe(false);
    expect(luhnValid('0')).toBe(false);
  });
  it('computes the check digit', () => {
    expect(luhnCheckDigit('411111111111111')).toBe('1');
    expect(luhnValid(`7992739871${luhnCheckDigit('7992739871')}`)).toBe(true);
  });
});

describe('iban', () => {
  it('checks length per country and mod 97', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('DE88370400440532013000')).toBe(false);
    expect(ibanValid('DE8937040044053201300')).toBe(false);
    expect(ibanValid('XX89370400440532013000')).toBe(false);
  });
  it('refuses check digits 00, 01 and 99 even where mod 97 gives 1 (none is ever issued)', () => {
    for (const check of ['00', '01', '99']) {
      // The last two digits of the BBAN step the remainder through all of 0–96.
      const ibans = Array.from(
        { length: 100 },
        (_, n) => `DE${check}3704004405320130${String(n).padStart(2, '0')}`,
      );
      const iban = ibans.find((candidate) => ibanMod97(candidate) === 1);
      expect(iban).toBeDefined();
      expect(ibanValid(iban as string)).toBe(false);
    }
  });
  it('builds check digits', () => {
    expect(ibanCheckDigits('DE', '370400440532013000')).toBe('89');
  });
});

describe('us ssn rules', () => {
  it('rejects never-issued areas, groups and serials', () => {
    expect(usSsnValid('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [
      ['000', '12', '3456'],
      ['666', '12', '3456'],
      ['900', '12', '3456'],
      ['123', '00', '3456'],
      ['123', '45', '0000'],
    ] as const) {
      expect(usSsnValid(a, g, s)).toBe(false);
    }
  });
});

describe('ip addresses', () => {
  it('validates IPv4 and IPv6', () => {
    expect(ipv4Valid('255.255.255.255')).toBe(true);
    expect(ipv4Valid('256.1.1.1')).toBe(false);
    expect(ipv4Valid('01.1.1.1')).toBe(false);
    expect(ipv6Valid('::1')).toBe(true);
    expect(ipv6Valid('2001:db8::1')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7:8')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
    expect(ipv6Valid('1::2::3')).toBe(false);
    expect(ipv6Valid('::ffff:10.0.0.1')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(ipv6Valid('12345::')).toBe(false);
  });
});

describe('span bounds', () => {
  it.each([
    ['abc', 3, 3],
    ['a{2,5}', 2, 5],
    ['(?:ab|c){1,3}', 1, 6],
    ['\\d{3}-\\d{2}', 6, 6],
    ['[^a]', 1, 2],
    ['.', 1, 2],
    ['a+', 1, Number.POSITIVE_INFINITY],
    ['a*', 0, Number.POSITIVE_INFINITY],
    ['\\bfoo\\b', 3, 3],
    ['(?i)foo', 3, 3],
    ['(?P<n>x)?y', 1, 2],
    ['\\Qa.b\\E', 3, 3],
    ['a{2}?', 2, 2],
    ['x|', 0, 1],
    ['[]a]', 1, 1],
    ['\\p{Greek}', 1, 2],
    ['a{,3}', 5, 5],
  ])('%s has bounds [%d, %d]', (source, min, max) => {
    expect(spanBound(source)).toEqual({ min, max });
  });
});
