/**
 * Startups newer clients send: PostgreSQL 17's direct TLS (a ClientHello first, no
 * SSLRequest, ALPN "postgresql") and protocol 3.2 (PostgreSQL 18), negotiated down to 3.0.
 * Debian's psql here is older than both, so these speak through node:tls and raw sockets.
 */

import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createEngine, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createPgProxy,
  MessageWriter,
  type PgProxy,
  readDataRow,
  readNegotiateProtocolVersion,
  readReadyForQuery,
} from '../src/index.js';
import { type ProxyFixture, startProxyFixture, testPolicy, USERS } from './support/proxy-fixture.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';
import { makeTestCerts, type TestCerts } from './support/test-certs.js';

let certs: TestCerts;
/** TLS configured and required. */
let f: ProxyFixture;
/** No TLS configured, same server. */
let plain: PgProxy;
let plainPort: number;
const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });

beforeAll(async () => {
  certs = await makeTestCerts();
  f = await startProxyFixture({ proxy: { tls: { key: certs.key, cert: certs.cert }, requireTls: true } });
  plain = createPgProxy({
    engine,
    upstream: f.upstream,
    resource: { name: 'prod-db', labels: { env: 'prod' } },
    async authenticate(startup, password) {
      const user = USERS[startup.user as keyof typeof USERS];
      return user && user.password === password ? { subject: user.subject } : null;
    },
  });
  plainPort = (await plain.listen(0, '127.0.0.1')).port;
});
afterAll(async () => {
  await plain?.close();
  await engine.close();
  await f?.stop();
  certs?.remove();
});

function directTls(port: number, alpn: string[] | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: certs.ca,
      servername: 'localhost',
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the peer sends until it closes the connection. */
function untilClosed(socket: Socket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

async function waitForNoSessions(proxy: PgProxy): Promise<void> {
  for (let i = 0; i < 100 && proxy.sessions > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(proxy.sessions).toBe(0);
}

describe('PostgreSQL 17 direct TLS', () => {
  test('with TLS configured and ALPN "postgresql", the session runs over TLS (and satisfies requireTls)', async () => {
    const socket = await directTls(f.port, ['postgresql']);
    expect(socket.alpnProtocol).toBe('postgresql');
    const raw = await RawClient.over(socket, 'agent', 'agent-pw');
    expect(raw.startupMessages.at(-1)?.type).toBe('Z');
    const w = new MessageWriter();
    raw.write(query(w, 'SELECT email FROM users WHERE id = 1').flush());
    await raw.readyCount(1);
    expect(raw.types()).toBe('TDCZ');
    const value = readDataRow(raw.messages[1]!.body)[0]!.toString();
    expect(value).not.toContain('ada@');
    expect(value.endsWith('.com')).toBe(true);
    raw.write(query(w, 'DROP TABLE victim').flush());
    await raw.readyCount(2);
    expect(sqlstate(raw.messages[4]!)).toBe('42501');
    raw.end();
  });

  test('without ALPN the handshake completes but the session is refused with 08P01', async () => {
    const socket = await directTls(f.port, undefined);
    const w = new MessageWriter();
    w.beginUntyped().int32(196608).cstring('user').cstring('alice').byte(0).end();
    const closed = untilClosed(socket);
    socket.write(w.flush());
    const received = (await closed).toString('latin1');
    expect(received).toContain('08P01');
    expect(received).toContain('ALPN');
    await waitForNoSessions(f.proxy);
  });

  test('with another ALPN protocol the connection is refused', async () => {
    const outcome = await directTls(f.port, ['http/1.1']).then(
      async (socket) => (await untilClosed(socket)).toString('latin1'),
      (err: Error) => err.message,
    );
    // Either the TLS layer refuses the protocol or the proxy does after the handshake.
    expect(outcome).toMatch(/08P01|ALPN|application protocol/i);
    await waitForNoSessions(f.proxy);
  });

  test('without TLS configured it is refused with a TLS handshake_failure alert', async () => {
    const err = await directTls(plainPort, ['postgresql']).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/handshake failure|alert/i);
    await waitForNoSessions(plain);
    // The same proxy still serves a plaintext client.
    const raw = await RawClient.connect(plainPort, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'SELECT 1').flush());
    await raw.readyCount(1);
    raw.end();
  });
});

describe('protocol versions', () => {
  async function startupWith(version: number, extra: Record<string, string> = {}): Promise<Socket> {
    const socket = netConnect({ host: '127.0.0.1', port: plainPort });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const w = new MessageWriter();
    w.beginUntyped().int32(version);
    for (const [k, v] of Object.entries({ user: 'alice', database: 'app', ...extra }))
      w.cstring(k).cstring(v);
    w.byte(0).end();
    socket.write(w.flush());
    return socket;
  }

  test('3.2 is negotiated down to 3.0 with NegotiateProtocolVersion, naming the _pq_ options ignored', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: plainPort });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const w = new MessageWriter();
    w.beginUntyped()
      .int32(196610)
      .cstring('user')
      .cstring('alice')
      .cstring('database')
      .cstring('app')
      .cstring('_pq_.some_option')
      .cstring('on')
      .byte(0)
      .end();
    const raw = await RawClient.over(socket, 'alice', 'alice-pw', 'app', w.flush());
    const negotiate = raw.startupMessages.find((m) => m.type === 'v');
    expect(negotiate).toBeDefined();
    expect(readNegotiateProtocolVersion(negotiate!.body)).toEqual({
      minor: 0,
      unrecognized: ['_pq_.some_option'],
    });
    // NegotiateProtocolVersion comes first, as the server sends it; a 3.0 BackendKeyData follows.
    expect(raw.startupMessages[0]!.type).toBe('v');
    expect(raw.startupMessages.find((m) => m.type === 'K')!.body.length).toBe(8);
    expect(String.fromCharCode(readReadyForQuery(raw.startupMessages.at(-1)!.body).status)).toBe('I');
    raw.write(query(new MessageWriter(), 'SELECT 42').flush());
    await raw.readyCount(1);
    expect(readDataRow(raw.messages[1]!.body)[0]!.toString()).toBe('42');
    raw.end();
  });

  test('a major version other than 3 is refused with FATAL 0A000', async () => {
    const socket = await startupWith(4 << 16);
    const received = (await untilClosed(socket)).toString('latin1');
    expect(received.startsWith('E')).toBe(true);
    expect(received).toContain('0A000');
    await waitForNoSessions(plain);
  });
});
