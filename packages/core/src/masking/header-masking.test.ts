import { describe, expect, it } from 'vitest';
import { maskHeaderRecord, maskHeaderValue, maskStatusText, masksHeaders } from './header-masking.js';
import { createMasker, type Masker } from './masker.js';
import { REDACTED } from './strategies.js';

const masker = createMasker({
  rules: [
    { detector: 'email', strategy: 'redact' },
    { detector: 'jwt', strategy: 'redact' },
    { pattern: 'acct-[0-9]{6}', strategy: 'redact' },
  ],
});
const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('maskHeaderValue', () => {
  it('masks what detectors and patterns find in data-carrying headers', () => {
    expect(maskHeaderValue(masker, 'Location', '/users?email=ann@example.com&page=2')).toBe(
      `/users?email=${REDACTED}&page=2`,
    );
    expect(maskHeaderValue(masker, 'x-account', 'acct-123456')).toBe(REDACTED);
    expect(maskHeaderValue(masker, 'set-cookie', `session=${jwt}; Path=/; HttpOnly`)).toBe(
      `session=${REDACTED}; Path=/; HttpOnly`,
    );
    expect(
      maskHeaderValue(masker, 'Content-Disposition', 'attachment; filename="ann@example.com - report.csv"'),
    ).toBe(`attachment; filename="${REDACTED} - report.csv"`);
  });

  it('leaves structural headers and clean values as they are', () => {
    expect(maskHeaderValue(masker, 'Content-Type', 'text/plain; charset=utf-8')).toBe(
      'text/plain; charset=utf-8',
    );
    // A pattern that would match inside a structural header's value does not touch it.
    const strict = createMasker({ rules: [{ pattern: '[0-9]{4}', strategy: 'redact' }] });
    expect(maskHeaderValue(strict, 'content-length', '123456')).toBe('123456');
    expect(maskHeaderValue(strict, 'Date', 'Thu, 26 Nov 2026 16:45:00 GMT')).toBe(
      'Thu, 26 Nov 2026 16:45:00 GMT',
    );
    expect(maskHeaderValue(strict, 'x-request-id', 'r-1234')).toBe(`r-${REDACTED}`);
    expect(maskHeaderValue(masker, 'x-note', 'nothing here')).toBe('nothing here');
  });

  it('gives the redaction marker when a mask could not be sent as a header value', () => {
    const breaking: Masker = { ...masker, maskText: (text: string) => `${text}\r\nx-injected: 1` };
    expect(maskHeaderValue(breaking, 'x-note', 'value')).toBe(REDACTED);
    const wide: Masker = { ...masker, maskText: () => '\u2022\u2022\u2022' };
    expect(maskHeaderValue(wide, 'x-note', 'value')).toBe(REDACTED);
    // Latin-1 obs-text is a valid header value and stays.
    const latin: Masker = { ...masker, maskText: () => 'caf\u00e9' };
    expect(maskHeaderValue(latin, 'x-note', 'value')).toBe('caf\u00e9');
  });
});

describe('masksHeaders', () => {
  it('is true only for detector and pattern rules, which apply to text', () => {
    expect(masksHeaders(masker)).toBe(true);
    expect(masksHeaders(createMasker({ rules: [{ path: '$.email', strategy: 'redact' }] }))).toBe(false);
    expect(masksHeaders(createMasker({ rules: [] }))).toBe(false);
  });
});

describe('maskHeaderRecord', () => {
  it('masks string and list values in place, numbers and structural headers as they are', () => {
    const emails = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
    const headers: Record<string, string | string[] | number> = {
      location: '/to/ann@example.com',
      'set-cookie': ['a=bob@example.org', 'b=2'],
      'content-length': 12,
      'content-type': 'text/plain; name=ann@example.com',
    };
    expect(maskHeaderRecord(emails, headers)).toBe(headers);
    expect(headers).toEqual({
      location: '/to/[REDACTED]',
      'set-cookie': ['a=[REDACTED]', 'b=2'],
      'content-length': 12,
      'content-type': 'text/plain; name=ann@example.com',
    });
  });
});

describe('maskStatusText', () => {
  it('masks a reason phrase as a header value, and leaves a plain one or a masker without text rules alone', () => {
    expect(maskStatusText(masker, 'No account for ann@example.com')).toBe(`No account for ${REDACTED}`);
    expect(maskStatusText(masker, 'Not Found')).toBe('Not Found');
    expect(maskStatusText(masker, '')).toBe('');
    const columnsOnly = createMasker({ rules: [{ column: 'users.email', strategy: 'redact' }] });
    expect(maskStatusText(columnsOnly, 'No account for ann@example.com')).toBe(
      'No account for ann@example.com',
    );
    // Output that could not be sent on a status line (a line break: response splitting) is not sent.
    const breaking: Masker = { ...masker, maskText: (text: string) => `${text}\r\nx-injected: 1` };
    expect(maskStatusText(breaking, 'No account for ann@example.com')).toBe(REDACTED);
  });
});
