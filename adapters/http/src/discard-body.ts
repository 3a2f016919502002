import type { Readable } from 'node:stream';

/**
 * Drops a body unread. undici's body (an upstream answer, or a fastify route relaying one),
 * destroyed before its end, emits an abort error: with no listener that is an uncaught
 * exception, which would end the process.
 */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
