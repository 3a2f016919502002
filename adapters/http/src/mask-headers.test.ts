import { once } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { maskResponseHeaders } from './mask-headers.js';

const masker = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });

/** One request to a real server whose handler is `handle`; the raw head, trailers and hints seen. */
async function exchange(handle: (res: ServerResponse) => void) {
  const server = createServer((_req, res) => {
    maskResponseHeaders(res, masker);
    handle(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const hints: Record<string, unknown>[] = [];
    const req = request({ port, host: '127.0.0.1', path: '/' });
    req.on('information', (info) => hints.push(info.headers));
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    return { status: res.statusCode, headers: res.headers, trailers: res.trailers, hints, body };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('maskResponseHeaders', () => {
  it('masks headers given to writeHead as a flat list, repeated names kept', async () => {
    const seen = await exchange((res) => {
      res.setHeader('x-owner', 'ann@example.com');
      res.setHeader('x-plain', 'replaced by the list');
      res.writeHead(200, 'OK', ['set-cookie', 'a=ann@example.com', 'set-cookie', 'b=2', 'x-plain', 'yes']);
      res.end('done');
    });
    expect(seen.status).toBe(200);
    expect(seen.headers['x-owner']).toBe('[REDACTED]');
    expect(seen.headers['set-cookie']).toEqual(['a=[REDACTED]', 'b=2']);
    expect(seen.headers['x-plain']).toBe('yes');
    expect(seen.body).toBe('done');
  });

  it('lets Node refuse a header list of odd length, as without masking', async () => {
    let thrown: unknown;
    const seen = await exchange((res) => {
      try {
        res.writeHead(200, ['x-a', 'ann@example.com', 'x-b']);
      } catch (err) {
        thrown = err;
      }
      res.end('after');
    });
    expect((thrown as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(seen.body).toBe('after');
  });

  it('masks trailers and 103 early hints', async () => {
    const seen = await exchange((res) => {
      res.writeEarlyHints({ link: '</u/ann@example.com.css>; rel=preload' });
      res.setHeader('trailer', 'x-summary');
      res.write('part');
      res.addTrailers({ 'x-summary': 'sent to bob@example.org' });
      res.end();
    });
    expect(seen.hints[0]?.link).toBe('</u/[REDACTED]>; rel=preload');
    expect(seen.trailers['x-summary']).toBe('sent to [REDACTED]');
    expect(seen.body).toBe('part');
  });

  it('leaves a response alone when the masks have no detector or pattern', () => {
    const res = { writeHead: () => undefined } as unknown as ServerResponse;
    const before = res.writeHead;
    maskResponseHeaders(res, createMasker({ rules: [{ path: '$.email', strategy: 'redact' }] }));
    expect(res.writeHead).toBe(before);
  });
});
