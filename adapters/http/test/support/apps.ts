import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { EXACT_JSON, NDJSON_LINES, REPEATED_NAME_JSON } from '@portcullis/core/test-support/exact-json';
import { FIRST_EVENT, SECOND_EVENT } from '@portcullis/core/test-support/masked-events';
import {
  PERSONAL_HEADERS,
  PERSONAL_STATUS_TEXT,
  PERSONAL_TEXT,
} from '@portcullis/core/test-support/masked-headers';
import { RANGED_TEXT, rangedPart } from '@portcullis/core/test-support/ranged-text';
import express from 'express';
import Fastify from 'fastify';
import { request as undiciRequest } from 'undici';
import {
  expressApprovalStatus,
  fastifyApprovalStatus,
  type PortcullisHttpOptions,
  portcullisExpress,
  portcullisFastify,
} from '../../src/index.js';

export const CUSTOMERS = {
  customers: [
    { name: 'Ann', email: 'ann@example.com', ssn: '123-45-6789', cards: [['4111 1111 1111 1111']] },
    {
      name: 'Bob',
      email: 'bob@example.org',
      ssn: '987-65-4321',
      cards: [['5500005555555559'], ['4012888888881881']],
    },
  ],
  note: 'contact support@example.net',
};

/** An application's own class: its fields are what JSON.stringify writes. */
class Customer {
  constructor(
    readonly email: string,
    readonly ssn: string,
  ) {}
}

/** An object reply with personal data where masking objects as plain JSON did not look. */
export const customerObjects = () => ({
  customer: new Customer('ann@example.com', '123-45-6789'),
  byMail: { 'bob@example.org': { ssn: '987-65-4321' } },
});

/** customerObjects() as it must go out. */
export const CUSTOMER_OBJECTS_MASKED =
  '{"customer":{"email":"[REDACTED]","ssn":"[REDACTED]"},"byMail":{"[REDACTED]":{"ssn":"[REDACTED]"}}}';

/** An image's bytes (the PNG signature, a NUL among them): no mask can read them. */
export const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);

export type Framework = 'express' | 'fastify';

export interface App {
  url: string;
  /** Requests that reached the application's handlers, as `METHOD path`. */
  handled: string[];
  /** Bodies the application's handlers received. */
  bodies: unknown[];
  /** Lets the second half of /stream (or the second event of /events) go. */
  releaseStream(): void;
  close(): Promise<void>;
}

type Options = Omit<PortcullisHttpOptions<unknown>, 'subject'> & {
  /** Replaces the default hook (the bearer token as an agent's id). */
  subject?: PortcullisHttpOptions<{ headers: { authorization?: string | undefined } }>['subject'];
};

/** The subject from a bearer token; a real application verifies it (jose against a JWKS). */
function subjectOf(authorization: string | undefined) {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  return token === undefined ? undefined : { id: token, kind: 'agent' as const };
}

const bigRows = () =>
  Array.from({ length: 3000 }, (_, i) => ({ i, ssn: '123-45-6789', email: `u${i}@example.com` }));

export async function startApp(framework: Framework, options: Options): Promise<App> {
  const handled: string[] = [];
  const bodies: unknown[] = [];
  let release: () => void = () => {};
  const released = () =>
    new Promise<void>((resolve) => {
      release = resolve;
    });
  const firstHalf = `${'log line without secrets\n'.repeat(200)}mail to alice.wonder@exa`;
  const secondHalf = 'mple.com and card 4111-1111-1111-1111 done\n';

  if (framework === 'express') {
    const app = express();
    app.use(
      portcullisExpress({
        ...options,
        subject: options.subject ?? ((req) => subjectOf(req.headers.authorization)),
      } as PortcullisHttpOptions<express.Request>),
    );
    app.use(express.json());
    if (options.approvals)
      app.get('/portcullis/approvals/:id', expressApprovalStatus(options.approvals.store));
    app.get('/customers', (req, res) => {
      handled.push(`GET ${req.path}`);
      res.json(CUSTOMERS);
    });
    app.get('/customer-objects', (_req, res) => {
      res.json(customerObjects());
    });
    app.get('/jsonp', (_req, res) => {
      res.jsonp(CUSTOMERS);
    });
    app.get('/logo.png', (_req, res) => {
      res.type('image/png').send(PNG);
    });
    app.get('/ranged', (req, res) => {
      const part = rangedPart(req.headers.range);
      if (part.contentRange) res.setHeader('content-range', part.contentRange);
      res.status(part.status).type('text/plain').send(part.text);
    });
    // express.static's own Range and conditional handling (the `send` module), on a real file.
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-static-'));
    writeFileSync(join(dir, 'ranged.txt'), RANGED_TEXT);
    app.use('/static', express.static(dir));
    app.get('/customers-text', (_req, res) => {
      res.type('application/json').send(JSON.stringify(CUSTOMERS));
    });
    app.get('/exact-json', (_req, res) => {
      res.type('application/json').send(EXACT_JSON);
    });
    app.get('/ndjson', (_req, res) => {
      res.type('application/x-ndjson').send(NDJSON_LINES);
    });
    app.get('/repeated-name', (_req, res) => {
      res.type('application/json').send(REPEATED_NAME_JSON);
    });
    app.get('/stream', async (_req, res) => {
      res.type('text/plain');
      res.write(firstHalf);
      await released();
      res.end(secondHalf);
    });
    app.get('/events', async (_req, res) => {
      res.type('text/event-stream');
      res.write(FIRST_EVENT);
      await released();
      res.end(SECOND_EVENT);
    });
    app.get('/big-json', (_req, res) => {
      res.type('application/json');
      const text = JSON.stringify({ rows: bigRows() });
      res.write(text.slice(0, 1000));
      res.end(text.slice(1000));
    });
    app.get('/forbidden', (req, res) => {
      handled.push(`GET ${req.path}`);
      res.json({ secret: true });
    });
    // Personal data in headers: set on the response with no body, or given to writeHead.
    app.get('/headers', (_req, res) => {
      for (const [name, value] of PERSONAL_HEADERS) res.setHeader(name, value);
      res.statusMessage = PERSONAL_STATUS_TEXT;
      res.status(204).end();
    });
    app.get('/headers-body', (_req, res) => {
      res.writeHead(201, PERSONAL_STATUS_TEXT, {
        ...Object.fromEntries(PERSONAL_HEADERS),
        'content-type': 'text/plain; charset=utf-8',
      });
      res.end(PERSONAL_TEXT);
    });
    app.post('/items', (req, res) => {
      handled.push(`POST ${req.path}`);
      bodies.push(req.body);
      res.status(201).json({ created: req.body });
    });
    app.delete('/items/:id', (req, res) => {
      handled.push(`DELETE ${req.path}`);
      res.json({ deleted: req.params.id });
    });
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      handled,
      bodies,
      releaseStream: () => release(),
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  const app = Fastify();
  await app.register(portcullisFastify, {
    ...options,
    subject: options.subject ?? ((req) => subjectOf(req.headers.authorization)),
  } as PortcullisHttpOptions<import('fastify').FastifyRequest>);
  if (options.approvals) app.get('/portcullis/approvals/:id', fastifyApprovalStatus(options.approvals.store));
  app.get('/customers', async (req) => {
    handled.push(`GET ${req.url}`);
    return CUSTOMERS;
  });
  app.get('/customer-objects', async () => customerObjects());
  // A route that relays what it fetched: the reply is undici's body stream, here a binary type.
  app.get('/relayed-image', async (_req, reply) => {
    const relayed = await undiciRequest(
      `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/none`,
    );
    reply.type('image/png');
    return reply.send(relayed.body);
  });
  app.get('/logo.png', async (_req, reply) => {
    reply.type('image/png');
    return PNG;
  });
  app.get('/ranged', async (request, reply) => {
    const part = rangedPart(request.headers.range);
    if (part.contentRange) reply.header('content-range', part.contentRange);
    reply.code(part.status).type('text/plain');
    return part.text;
  });
  // A response schema says the SSN is a number: what is masked is the text it serialises to.
  app.get(
    '/scored',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { ssn: { type: 'integer' }, email: { type: 'string' }, score: { type: 'number' } },
          },
        },
      },
    },
    async () => ({ ssn: 123456789, email: 'ann@example.com', score: 1.5 }),
  );
  app.get('/customers-text', async (_req, reply) => {
    reply.type('application/json');
    return JSON.stringify(CUSTOMERS);
  });
  app.get('/exact-json', async (_req, reply) => {
    reply.type('application/json');
    return EXACT_JSON;
  });
  app.get('/ndjson', async (_req, reply) => {
    reply.type('application/x-ndjson');
    return NDJSON_LINES;
  });
  app.get('/repeated-name', async (_req, reply) => {
    reply.type('application/json');
    return REPEATED_NAME_JSON;
  });
  app.get('/stream', async (_req, reply) => {
    const stream = new PassThrough();
    stream.write(firstHalf);
    released().then(() => stream.end(secondHalf));
    reply.type('text/plain');
    return reply.send(stream);
  });
  app.get('/events', async (_req, reply) => {
    const stream = new PassThrough();
    stream.write(FIRST_EVENT);
    released().then(() => stream.end(SECOND_EVENT));
    reply.type('text/event-stream');
    return reply.send(stream);
  });
  app.get('/big-json', async (_req, reply) => {
    reply.type('application/json');
    const text = JSON.stringify({ rows: bigRows() });
    const stream = new PassThrough();
    stream.end(text);
    return reply.send(stream);
  });
  app.get('/forbidden', async (req) => {
    handled.push(`GET ${req.url}`);
    return { secret: true };
  });
  // Personal data in headers: with no body, or before a streamed one.
  app.get('/headers', async (_req, reply) => {
    for (const [name, value] of PERSONAL_HEADERS) reply.header(name, value);
    reply.raw.statusMessage = PERSONAL_STATUS_TEXT;
    reply.code(204);
    return reply.send();
  });
  app.get('/headers-body', async (_req, reply) => {
    for (const [name, value] of PERSONAL_HEADERS) reply.header(name, value);
    reply.code(201).type('text/plain; charset=utf-8');
    const stream = new PassThrough();
    stream.end(PERSONAL_TEXT);
    return reply.send(stream);
  });
  app.post('/items', async (req, reply) => {
    handled.push(`POST ${req.url}`);
    bodies.push(req.body);
    reply.code(201);
    return { created: req.body };
  });
  app.delete('/items/:id', async (req) => {
    handled.push(`DELETE ${req.url}`);
    return { deleted: (req.params as { id: string }).id };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled,
    bodies,
    releaseStream: () => release(),
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
