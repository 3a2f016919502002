import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { EXACT_JSON, NDJSON_LINES, REPEATED_NAME_JSON } from '@portcullis/core/test-support/exact-json';
import { FIRST_EVENT, SECOND_EVENT } from '@portcullis/core/test-support/masked-events';
import {
  PERSONAL_HEADERS,
  PERSONAL_STATUS_TEXT,
  PERSONAL_TEXT,
} from '@portcullis/core/test-support/masked-headers';
import { RANGED_TEXT, rangedPart } from '@portcullis/core/test-support/ranged-text';

export const CUSTOMERS = {
  customers: [
    { name: 'Ann', email: 'ann@example.com', ssn: '123-45-6789', cards: ['4111 1111 1111 1111'] },
    {
      name: 'Bob',
      email: 'bob@example.org',
      ssn: '987-65-4321',
      cards: ['5500005555555559', '4012888888881881'],
    },
  ],
  note: 'contact support@example.net',
};

export interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A real HTTP server on loopback: the upstream the guarded clients talk to. */
export interface Upstream {
  url: string;
  hits: Hit[];
  /** Resolves the second half of /stream (or of /events). */
  releaseStream(): void;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const hits: Hit[] = [];
  let release: () => void = () => {};
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/customers':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(CUSTOMERS));
        return;
      case '/repeated-name':
        res.setHeader('content-type', 'application/json');
        res.end(REPEATED_NAME_JSON);
        return;
      case '/ndjson':
        res.setHeader('content-type', 'application/x-ndjson');
        res.end(NDJSON_LINES);
        return;
      case '/exact-json':
        res.setHeader('content-type', 'application/json');
        res.end(EXACT_JSON);
        return;
      case '/echo':
        res.setHeader('content-type', req.headers['content-type'] ?? 'application/octet-stream');
        res.end(body);
        return;
      case '/stream': {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        // The secret is cut in two across chunks, and the second half waits for the test.
        res.write(`${'log line without secrets\n'.repeat(200)}mail to alice.wonder@exa`);
        await released;
        res.end('mple.com and card 4111-1111-1111-1111 done\n');
        return;
      }
      case '/events': {
        // Server-sent events: the first event, then nothing until the test releases the rest.
        res.setHeader('content-type', 'text/event-stream');
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        res.write(FIRST_EVENT);
        await released;
        res.end(SECOND_EVENT);
        return;
      }
      case '/big':
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ rows: Array.from({ length: 2000 }, (_, i) => ({ i, ssn: '123-45-6789' })) }),
        );
        return;
      case '/headers': {
        // Personal data in response headers; with ?body a text body too, without it 204.
        const withBody = (req.url ?? '').includes('body');
        res.statusCode = withBody ? 201 : 204;
        res.statusMessage = PERSONAL_STATUS_TEXT;
        for (const [name, value] of PERSONAL_HEADERS) res.setHeader(name, value);
        if (withBody) {
          res.setHeader('content-type', 'text/plain; charset=utf-8');
          res.end(PERSONAL_TEXT);
        } else res.end();
        return;
      }
      case '/trailers':
        // Personal data in a trailer, after a body that needs no masking.
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.setHeader('trailer', 'x-summary');
        res.write('report follows\n');
        res.addTrailers({ 'x-summary': 'sent to ann@example.com' });
        res.end();
        return;
      case '/redirect':
        res.statusCode = 302;
        res.setHeader('location', '/forbidden');
        res.end();
        return;
      case '/ranged': {
        // Honours Range, If-Range and If-None-Match against its ETag, the SHA-1 of the text, as
        // express does, and sends its RFC 9530 digest, in a trailer with ?trailer.
        const etag = `"${createHash('sha1').update(RANGED_TEXT).digest('base64')}"`;
        const digest = `sha-256=:${createHash('sha256').update(RANGED_TEXT).digest('base64')}:`;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.setHeader('etag', etag);
        if (req.headers['if-none-match'] === etag) {
          res.statusCode = 304;
          res.end();
          return;
        }
        const ifRange = req.headers['if-range'];
        const part = rangedPart(ifRange === undefined || ifRange === etag ? req.headers.range : undefined);
        res.statusCode = part.status;
        if (part.contentRange) res.setHeader('content-range', part.contentRange);
        if ((req.url ?? '').includes('trailer')) {
          res.setHeader('trailer', 'content-digest');
          res.write(part.text);
          res.addTrailers({ 'content-digest': digest });
          res.end();
          return;
        }
        res.setHeader('content-digest', digest);
        res.setHeader('content-length', Buffer.byteLength(part.text));
        res.end(req.method === 'HEAD' ? undefined : part.text);
        return;
      }
      case '/utf16':
        // As a Windows service may answer: UTF-16 with a byte order mark, no charset.
        res.setHeader('content-type', 'text/plain');
        res.end(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`card ${RANGED_TEXT}`, 'utf16le')]));
        return;
      case '/partial': {
        // A part of a body, though no Range was asked for.
        const part = rangedPart('bytes=0-11');
        res.statusCode = part.status;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.setHeader('content-range', part.contentRange ?? '');
        res.end(part.text);
        return;
      }
      case '/gzip':
        res.setHeader('content-type', 'application/json');
        res.setHeader('content-encoding', 'gzip');
        res.end(gzipSync(JSON.stringify(CUSTOMERS)));
        return;
      case '/image':
        res.setHeader('content-type', 'image/png');
        res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
        return;
      default:
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, method: req.method, path }));
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.destroy(err as Error));
  });
  // An upgrade (as for a WebSocket): the switched connection carries a card number at once.
  server.on('upgrade', (req, socket) => {
    hits.push({ method: 'UPGRADE', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) });
    socket.end(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-feed\r\n\r\ncard 4111 1111 1111 1111\n',
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    releaseStream: () => release(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
