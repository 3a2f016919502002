import { expect } from 'vitest';

/**
 * Response headers that carry personal data, for the HTTP adapters' header-masking tests
 * (fetch and http share them, with http-test-policy's masks): a Location, a Link, a cookie, a custom
 * header and a filename, next to a cookie and a request id that carry none.
 */
export const PERSONAL_HEADERS: readonly (readonly [string, string | string[]])[] = [
  ['location', '/customers?email=ann@example.com'],
  // In a URL the at-sign is often percent-encoded, and so is a space.
  ['link', '</customers?email=ann%40example.com&card=4111%201111%201111%201111&page=2>; rel="next"'],
  ['set-cookie', ['owner=bob@example.org; Path=/; HttpOnly', 'theme=dark; Path=/']],
  ['x-card-on-file', '4111 1111 1111 1111'],
  ['content-disposition', 'attachment; filename="ann@example.com - export.csv"'],
  ['x-request-id', 'req-42'],
];

/** The body sent with PERSONAL_HEADERS where there is one, as text/plain. */
export const PERSONAL_TEXT = 'created for support@example.net\n';
export const MASKED_TEXT = 'created for [REDACTED]\n';

/** A reason phrase with personal data (HTTP/1.1 lets a server say anything there), and masked. */
export const PERSONAL_STATUS_TEXT = 'Sent to ann@example.com';
export const MASKED_STATUS_TEXT = 'Sent to [REDACTED]';

/** PERSONAL_HEADERS as the test policy's masked subject must see them. */
export function expectMaskedHeaders(
  header: (name: string) => string | null,
  cookies: readonly string[],
): void {
  expect(header('location')).toBe('/customers?email=[REDACTED]');
  expect(header('link')).toBe(`</customers?email=[REDACTED]&card=${'*'.repeat(21)}1111&page=2>; rel="next"`);
  expect(cookies).toEqual(['owner=[REDACTED]; Path=/; HttpOnly', 'theme=dark; Path=/']);
  const card = header('x-card-on-file') ?? '';
  expect(card).not.toContain('4111 1111');
  expect(card).toMatch(/1111$/);
  expect(header('content-disposition')).toBe('attachment; filename="[REDACTED] - export.csv"');
  expect(header('x-request-id')).toBe('req-42');
}
