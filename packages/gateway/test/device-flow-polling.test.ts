import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollDeviceToken } from '../src/identity/oauth-client.js';

/**
 * RFC 8628 §3.5 error handling of the poller. oidc-provider (used end to end in
 * oidc-login.test.ts) never answers slow_down, so a token endpoint scripted with the
 * RFC's responses stands in for it here.
 */
let server: Server;
let endpoint = '';
let script: { status: number; body: Record<string, unknown> }[] = [];
const seen: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      const next = script.shift() ?? { status: 400, body: { error: 'authorization_pending' } };
      res.writeHead(next.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function poll(expiresIn = 600, interval?: number) {
  const sleeps: number[] = [];
  let clock = 0;
  const result = pollDeviceToken({
    tokenEndpoint: endpoint,
    clientId: 'cli',
    authorization: {
      device_code: 'dc-1',
      user_code: 'ABCD-EFGH',
      verification_uri: 'https://idp.example/device',
      expires_in: expiresIn,
      ...(interval ? { interval } : {}),
    },
    // A virtual clock: each sleep advances it, so expiry is reached without waiting.
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  });
  return { result, sleeps };
}

const pending = { status: 400, body: { error: 'authorization_pending' } };
const token = { status: 200, body: { access_token: 'at', token_type: 'Bearer', expires_in: 60 } };

describe('device code polling (RFC 8628 §3.5)', () => {
  it('waits the interval (5 s when none is given), sends the device grant, and returns the token', async () => {
    script = [pending, pending, token];
    seen.length = 0;
    const { result, sleeps } = poll();
    expect(await result).toMatchObject({ access_token: 'at', token_type: 'Bearer' });
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(seen[0]!.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(seen[0]!.get('device_code')).toBe('dc-1');
    expect(seen[0]!.get('client_id')).toBe('cli');
  });

  it('adds 5 s to the interval for good at every slow_down', async () => {
    script = [
      { status: 400, body: { error: 'slow_down' } },
      pending,
      { status: 400, body: { error: 'slow_down' } },
      token,
    ];
    const { result, sleeps } = poll(600, 2);
    await result;
    expect(sleeps).toEqual([2000, 7000, 7000, 12000]);
  });

  it('stops at expired_token, access_denied, other errors and the local deadline', async () => {
    script = [{ status: 400, body: { error: 'expired_token' } }];
    await expect(poll().result).rejects.toMatchObject({
      code: 'PC_GATEWAY_LOGIN',
      message: expect.stringMatching(/expired/),
    });
    script = [pending, { status: 400, body: { error: 'access_denied' } }];
    await expect(poll().result).rejects.toThrow(/denied at the identity provider \(access_denied\)/);
    script = [{ status: 401, body: { error: 'invalid_client', error_description: 'no such client' } }];
    await expect(poll().result).rejects.toThrow('device code grant failed (invalid_client: no such client)');
    script = [];
    await expect(poll(12).result).rejects.toThrow(/device code expired before the login was approved/);
  });

  it('refuses a success without a bearer access token', async () => {
    script = [{ status: 200, body: { access_token: 'x', token_type: 'DPoP' } }];
    await expect(poll().result).rejects.toThrow(/expected a Bearer token/);
  });
});
