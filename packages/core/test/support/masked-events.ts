import { expect } from 'vitest';

/**
 * Server-sent events for the HTTP adapters' streaming tests (fetch and http share them, with
 * http-test-policy's masks): the server sends FIRST_EVENT, then holds SECOND_EVENT until the
 * test releases it.
 */
export const FIRST_EVENT = 'event: note\ndata: for alice.wonder@example.com\n\n';
export const SECOND_EVENT = 'data: card 4111 1111 1111 1111\n\n';

/**
 * Reads a masked event stream: the first event must arrive whole, masked, while the server
 * still holds the second; then `release` lets the second go, and the whole stream is checked.
 */
export async function expectEventsMaskedOneByOne(body: ReadableStream<Uint8Array>, release: () => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.endsWith('\n\n')) {
    const next = await reader.read();
    if (next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  expect(text).toBe('event: note\ndata: for [REDACTED]\n\n');
  release();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    text += decoder.decode(next.value, { stream: true });
  }
  expect(text).toMatch(/^event: note\ndata: for \[REDACTED\]\n\ndata: card \*{15}1111\n\n$/);
}
