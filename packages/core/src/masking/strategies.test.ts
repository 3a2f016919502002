import { describe, expect, it } from 'vitest';
import { detect } from './detectors.js';
import { formatPreserve } from './format-preserving.js';
import { hashToken } from './keyed-hash.js';
import { luhnValid } from './luhn.js';
import { canonicalText, maskWholeValue, partialMask, REDACTED } from './strategies.js';

const key = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const otherKey = new TextEncoder().encode('fedcba9876543210fedcba9876543210');

describe('partial', () => {
  it('keeps the last N characters of a long enough value', () => {
    expect(partialMask('4111111111111111', 4)).toBe('************1111');
    expect(partialMask('abcdefghi', 4)).toBe('*****fghi');
  });
  it('masks short values entirely so they are never revealed', () => {
    expect(partialMask('abcd', 4)).toBe('****');
    expect(partialMask('abcdefgh', 4)).toBe('********');
    expect(partialMask('', 4)).toBe('');
    expect(partialMask('secret', 0)).toBe('******');
  });
  it('counts code points, not UTF-16 units', () => {
    expect(partialMask('😀😀😀😀😀abc', 1)).toBe('*******c');
  });
});

describe('hash', () => {
  it('is stable per key and differs between keys', () => {
    expect(hashToken(key, 'alice@example.com')).toBe(hashToken(key, 'alice@example.com'));
    expect(hashToken(key, 'alice@example.com')).not.toBe(hashToken(otherKey, 'alice@example.com'));
    expect(hashToken(key, 'alice@example.com')).toMatch(/^hash:[0-9a-f]{16}$/);
  });
});

describe('format-preserving', () => {
  it('keeps an e-mail local@domain and makes it undeliverable', () => {
    const out = formatPreserve('alice.b@mail.example.com', 'email', key);
    expect(out).toMatch(/^[a-z0-9]{5}\.[a-z0-9]@[a-z]{4}\.[a-z]{7}\.invalid$/);
    expect(detect(out)).toEqual([]);
  });
  it('replaces letters of other scripts in an address too: none of its characters stay', () => {
    const out = formatPreserve('josé.garcía@exämple.de', 'email', key);
    expect(out).toMatch(/^[a-z0-9]{4}\.[a-z0-9]{6}@[a-z]{7}\.invalid$/);
    expect(detect(out)).toEqual([]);
  });
  it('keeps the encoded at-sign of an e-mail address in a URL, with the .invalid domain', () => {
    const out = formatPreserve('alice.b%40mail.example.com', 'email', key);
    expect(out).toMatch(/^[a-z0-9]{5}\.[a-z0-9]%40[a-z]{4}\.[a-z]{7}\.invalid$/);
    // A card grouped with no-break spaces keeps them, and gets a card's fake shape.
    const nbsp = formatPreserve('4111\u00a01111\u00a01111\u00a01111', 'credit_card', key);
    expect(nbsp).toMatch(/^0\d{3}\u00a0\d{4}\u00a0\d{4}\u00a0\d{4}$/);
    // A character reference for the at-sign stays as written, so the HTML still reads.
    for (const at of ['&#64;', '&#x40;', '&commat;']) {
      const html = formatPreserve(`alice.b${at}mail.example.com`, 'email', key);
      expect(html.startsWith(`${html.slice(0, 7)}${at}`)).toBe(true);
      expect(html).toMatch(/^[a-z0-9]{5}\.[a-z0-9]&[#a-zA-Z0-9]+;[a-z]{4}\.[a-z]{7}\.invalid$/);
    }
    expect(detect(out)).toEqual([]);
  });
  it('keeps card grouping, stays Luhn-valid, starts with 0 and is not detected again', () => {
    const out = formatPreserve('4111 1111 1111 1111', 'credit_card', key);
    expect(out).toMatch(/^0\d{3} \d{4} \d{4} \d{4}$/);
    expect(luhnValid(out.replace(/\D/g, ''))).toBe(true);
    expect(detect(out)).toEqual([]);
    expect(formatPreserve('3782-822463-10005', undefined, key)).toMatch(/^0\d{3}-\d{6}-\d{5}$/);
  });
  it('keeps phone punctuation and is not detected again', () => {
    const out = formatPreserve('+1 (415) 555-2671', 'phone', key);
    expect(out).toMatch(/^\+0 \(0\d\d\) 0\d\d-0\d{3}$/);
    expect(detect(out)).toEqual([]);
  });
  it('keeps the URL escapes of a card, a phone number and an IBAN where they were', () => {
    const card = formatPreserve('4111%201111%201111%201111', 'credit_card', key);
    expect(card).toMatch(/^0\d{3}%20\d{4}%20\d{4}%20\d{4}$/);
    expect(luhnValid(card.replace(/%20/g, ''))).toBe(true);
    expect(formatPreserve('4111+1111+1111+1111', 'credit_card', key)).toMatch(
      /^0\d{3}\+\d{4}\+\d{4}\+\d{4}$/,
    );
    const phone = formatPreserve('%2B1%20415%20555-2671', 'phone', key);
    expect(phone).toMatch(/^%2B0%200\d\d%200\d\d-0\d{3}$/);
    expect(formatPreserve('%2b14155552671', 'phone', key)).toMatch(/^%2b0\d{10}$/);
    expect(formatPreserve('+1+415+555+2671', 'phone', key)).toMatch(/^\+0\+0\d\d\+0\d\d\+0\d{3}$/);
    const iban = formatPreserve('DE89%203704%200044%200532%200130%2000', 'iban', key);
    expect(iban).toMatch(/^DE00%20\d{4}%20\d{4}%20\d{4}%20\d{4}%20\d{2}$/);
    for (const out of [card, phone, iban]) expect(detect(out)).toEqual([]);
    // Equal values format equally; the plain and the encoded form are different values.
    expect(formatPreserve('4111%201111%201111%201111', 'credit_card', key)).toBe(card);
  });
  it("keeps a web page's &nbsp; between the groups of a card, a phone number and an IBAN", () => {
    const card = formatPreserve('4111&nbsp;1111&nbsp;1111&nbsp;1111', 'credit_card', key);
    expect(card).toMatch(/^0\d{3}&nbsp;\d{4}&nbsp;\d{4}&nbsp;\d{4}$/);
    expect(luhnValid(card.replace(/&nbsp;/g, ''))).toBe(true);
    const phone = formatPreserve('+44&nbsp;20&nbsp;7946&nbsp;0018', 'phone', key);
    expect(phone).toMatch(/^\+0\d&nbsp;0\d&nbsp;0\d{3}&nbsp;0\d{3}$/);
    const iban = formatPreserve('DE89&nbsp;3704&nbsp;0044&nbsp;0532&nbsp;0130&nbsp;00', 'iban', key);
    expect(iban).toMatch(/^DE00&nbsp;\d{4}&nbsp;\d{4}&nbsp;\d{4}&nbsp;\d{4}&nbsp;\d{2}$/);
    for (const out of [card, phone, iban]) expect(detect(out)).toEqual([]);
  });
  it("keeps a web page's numeric no-break space references where they were", () => {
    const card = formatPreserve('4111&#160;1111&#xA0;1111&#xa0;1111', 'credit_card', key);
    expect(card).toMatch(/^0\d{3}&#160;\d{4}&#xA0;\d{4}&#xa0;\d{4}$/);
    expect(luhnValid(card.replace(/&#(?:160|x[aA]0);/g, ''))).toBe(true);
    const phone = formatPreserve('+44&#160;20&#160;7946&#160;0018', 'phone', key);
    expect(phone).toMatch(/^\+0\d&#160;0\d&#160;0\d{3}&#160;0\d{3}$/);
    for (const out of [card, phone]) expect(detect(out)).toEqual([]);
  });
  it('gives SSNs area 000 and IBANs check digits 00', () => {
    expect(formatPreserve('123-45-6789', 'us_ssn', key)).toMatch(/^000-\d{2}-\d{4}$/);
    const iban = formatPreserve('DE89 3704 0044 0532 0130 00', 'iban', key);
    expect(iban).toMatch(/^DE00 \d{4} \d{4} \d{4} \d{4} \d{2}$/);
    expect(detect(iban)).toEqual([]);
  });
  it('keeps the character classes of anything else, deterministically', () => {
    const out = formatPreserve('AKIAIOSFODNN7EXAMPLE', 'aws_access_key', key);
    expect(out).toMatch(/^[A-Z0-9]{20}$/);
    expect(out).toBe(formatPreserve('AKIAIOSFODNN7EXAMPLE', 'aws_access_key', key));
    expect(formatPreserve('ab-12 é', undefined, key)).toMatch(/^[a-z]{2}-\d{2} [a-z]$/);
  });
});

describe('whole values', () => {
  const opts = { keep: 4, key } as const;
  it('applies each strategy to strings', () => {
    expect(maskWholeValue('secret-value', { ...opts, strategy: 'redact' })).toBe(REDACTED);
    expect(maskWholeValue('secret-value', { ...opts, strategy: 'null' })).toBeNull();
    expect(maskWholeValue('secret-value', { ...opts, strategy: 'partial' })).toBe('********alue');
    expect(maskWholeValue('secret-value', { ...opts, strategy: 'hash' })).toMatch(/^hash:/);
  });
  it('masks non-strings through their canonical text and returns strings', () => {
    expect(maskWholeValue(4111111111111111, { ...opts, strategy: 'partial' })).toBe('************1111');
    expect(maskWholeValue(42, { ...opts, strategy: 'redact' })).toBe(REDACTED);
    expect(maskWholeValue(true, { ...opts, strategy: 'null' })).toBeNull();
    expect(maskWholeValue({ a: 1 }, { ...opts, strategy: 'hash' })).toBe(hashToken(key, '{"a":1}'));
  });
  it('leaves null and undefined alone', () => {
    expect(maskWholeValue(null, { ...opts, strategy: 'redact' })).toBeNull();
    expect(maskWholeValue(undefined, { ...opts, strategy: 'hash' })).toBeUndefined();
  });
  it('has a canonical text for dates, bytes and bigints', () => {
    expect(canonicalText(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(canonicalText(new Uint8Array([1, 255]))).toBe('01ff');
    expect(canonicalText({ n: 10n })).toBe('{"n":"10"}');
    expect(canonicalText(10n)).toBe('10');
  });
});
