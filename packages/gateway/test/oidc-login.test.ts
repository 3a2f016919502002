/**
 * OIDC end to end: oidc-provider in process, a gateway started with startGateway in front of
 * Debian's PostgreSQL, `portcullis login` (client credentials and device code) through the CLI,
 * and the credentials it obtains used by real psql and pg sessions.
 */

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { type PostgresServer, startPostgres } from '@portcullis/pg/test-support/postgres-server';
import { generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogin } from '../src/cli/login-command.js';
import { main } from '../src/cli/main.js';
import { shippedPolicyDir } from '../src/cli/policy-paths.js';
import type { GatewayConfig } from '../src/config/gateway-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { clientCredentialsToken } from '../src/identity/oauth-client.js';
import { runCli } from './cli-helpers.js';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer.js';

const exec = promisify(execFile);
const AUD = 'https://gateway.portcullis.test';
const AGENT_SECRET = `agent-secret-${Math.random().toString(36).slice(2)}-0123456789abcdef`;
const SECRET_VAR = 'PORTCULLIS_TEST_AGENT_SECRET';
const UPSTREAM_VAR = 'PORTCULLIS_TEST_UPSTREAM_PASSWORD';

let upstream: PostgresServer;
let issuer: TestIssuer;
let gateway: Gateway;
let dir: string;
let port: number;
const mallory = generateApiKey();
const secops = generateApiKey();

async function sh(command: string, env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec('bash', ['-c', command], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const agentToken = (clientId = 'agent-7', resource = AUD) =>
  clientCredentialsToken({
    tokenEndpoint: `${issuer.issuer}/token`,
    clientId,
    clientSecret: AGENT_SECRET,
    resource,
  }).then((t) => t.access_token);

async function api(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** The psql line `login` printed, run with extra psql arguments. */
function runPrinted(line: string, args: string) {
  return sh(`${line} -X -At -v ON_ERROR_STOP=1 ${args}`);
}

beforeAll(async () => {
  upstream = await startPostgres();
  await exec(
    'psql',
    [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      `host=${upstream.host} port=${upstream.port} user=${upstream.user} dbname=postgres`,
      '-c',
      "CREATE TABLE orders (id int PRIMARY KEY, status text); INSERT INTO orders VALUES (1, 'new'), (2, 'paid'), (3, 'shipped');",
    ],
    { env: { ...process.env, PGPASSWORD: upstream.password } },
  );
  issuer = await startTestIssuer(
    [
      { client_id: 'agent-7', client_secret: AGENT_SECRET, grant: 'client_credentials' },
      { client_id: 'short-agent', client_secret: AGENT_SECRET, grant: 'client_credentials', ttl: 1 },
      { client_id: 'portcullis-cli', grant: 'device_code' },
    ],
    {
      'agent-7': { groups: ['agents'], kind: 'agent' },
      'short-agent': { groups: ['agents'], kind: 'agent' },
      alice: { groups: ['dba'] },
    },
  );
  dir = mkdtempSync(join(tmpdir(), 'portcullis-oidc-'));
  const config: GatewayConfig = {
    baseDir: dir,
    server: { host: '127.0.0.1', port: 0 },
    resources: [
      {
        type: 'postgres',
        name: 'prod-db',
        labels: { env: 'prod' },
        listen: { host: '127.0.0.1', port: 0 },
        upstream: {
          host: upstream.host,
          port: upstream.port,
          user: upstream.user,
          database: 'postgres',
          password: { from: 'env', name: UPSTREAM_VAR },
        },
      },
    ],
    policy: { kind: 'rego', path: shippedPolicyDir(), entrypoint: 'portcullis/decision' },
    identity: {
      oidc: {
        issuer: issuer.issuer,
        audience: AUD,
        claims: {
          subject: 'sub',
          groups: 'groups',
          kind: { claim: 'portcullis_kind', agentValues: ['agent'] },
        },
        clockToleranceMs: 1_000,
      },
      apiKeys: [
        { id: 'mallory', kind: 'human', groups: [], hash: hashApiKey(mallory, 'sha256') },
        { id: 'sec-admin', kind: 'human', groups: ['security'], hash: hashApiKey(secops, 'sha256') },
      ],
    },
    credentials: { maxTtl: '30m', maxTtlMs: 30 * 60_000, defaultTtl: '15m', adminGroups: ['security'] },
    state: { path: join(dir, 'state.db') },
    recordings: { path: join(dir, 'recordings') },
    audit: { path: join(dir, 'audit.jsonl'), fsync: false },
    approvals: { wait: '30s', waitMs: 30_000, ttl: '1h', ttlMs: 3_600_000 },
  };
  gateway = await startGateway({
    config,
    env: { [UPSTREAM_VAR]: upstream.password },
    logger: pino({ level: 'silent' }),
  });
  port = gateway.resources.get('prod-db')!.port;
  process.env[SECRET_VAR] = AGENT_SECRET;
}, 240_000);

afterAll(async () => {
  delete process.env[SECRET_VAR];
  await gateway?.close();
  await issuer?.close();
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('portcullis login with client credentials (agents)', () => {
  it('obtains a credential and prints a psql line that works: DROP denied, SELECT allowed', async () => {
    const out = await runCli([
      'login',
      '--gateway',
      gateway.url,
      '--resource',
      'prod-db',
      '--client-id',
      'agent-7',
      '--client-secret',
      `env:${SECRET_VAR}`,
      '--ttl',
      '10m',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^credential [0-9a-f-]{36} for agent-7 on prod-db, expires /m);
    const line = out.stdout.split('\n').find((l) => l.startsWith('PGPASSWORD='))!;
    expect(line).toBe(
      `${line.split(' ')[0]} psql "host=127.0.0.1 port=${port} user=agent-7 dbname=postgres"`,
    );
    expect(line).toMatch(/^PGPASSWORD=pcc_[A-Za-z0-9_-]{43} /);

    const select = await runPrinted(line, "-c 'SELECT count(*) FROM orders'");
    expect(select.stderr).toBe('');
    expect(select.stdout.trim()).toBe('3');
    const drop = await runPrinted(line, "-c 'DROP TABLE orders'");
    expect(drop.code).not.toBe(0);
    expect(drop.stderr).toContain('permission denied by policy');
    expect(drop.stderr).toContain('sql.drop_on_prod');
    expect((await runPrinted(line, "-c 'SELECT count(*) FROM orders'")).stdout.trim()).toBe('3');

    // The credential carries the token's identity: subject, agent kind, groups.
    const [issued] = (await gateway.credentials.list({ subject: 'agent-7' })).slice(-1);
    expect(issued).toMatchObject({
      subject: 'agent-7',
      kind: 'agent',
      groups: ['agents'],
      resource: 'prod-db',
    });
    const lifetime = Date.parse(issued!.expires_at) - Date.parse(issued!.issued_at);
    expect(lifetime).toBe(10 * 60_000);
  });

  it('prints JSON with --json, and refuses an inline secret or a ttl above credentials.max_ttl', async () => {
    const base = ['login', '--gateway', gateway.url, '--resource', 'prod-db', '--client-id', 'agent-7'];
    const json = await runCli([...base, '--client-secret', `env:${SECRET_VAR}`, '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      user: 'agent-7',
      resource: 'prod-db',
      kind: 'agent',
      endpoint: { type: 'postgres', host: '127.0.0.1', port, database: 'postgres' },
    });
    expect(String(body.password)).toMatch(/^pcc_/);
    // Default ttl is 15 minutes.
    expect(Date.parse(String(body.expires_at)) - Date.parse(String(body.issued_at))).toBe(15 * 60_000);

    const inline = await runCli([...base, '--client-secret', AGENT_SECRET]);
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain('--client-secret takes env:VARIABLE or file:/path');
    expect(inline.stderr).not.toContain(AGENT_SECRET);

    const long = await runCli([...base, '--client-secret', `env:${SECRET_VAR}`, '--ttl', '2h']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(
      /HTTP 400: ttl 2h is longer than this gateway issues \(credentials.max_ttl 30m\)/,
    );

    const wrongSecret = await runCli([...base, '--client-secret', 'env:HOME']);
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toMatch(/client credentials grant failed \(invalid_client/);
  });
});

describe('portcullis login with the device code flow (people)', () => {
  it('prints the verification URL and code, waits for approval, then prints the psql line', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const code = new Promise<string>((resolve) => {
      stderr.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /enter the code (\S+)\n[\s\S]*Waiting for approval/.exec(err);
        if (m) resolve(m[1]!);
      });
    });
    const exit = main(
      ['login', '--gateway', gateway.url, '--resource', 'prod-db', '--client-id', 'portcullis-cli'],
      { stdin: Readable.from(['']), stdout, stderr },
    );
    const userCode = await code;
    expect(err).toContain(`To log in, open ${issuer.issuer}/device`);
    expect(err).toContain(`(or open ${issuer.issuer}/device?user_code=${userCode})`);
    await issuer.approveDevice(userCode, 'alice');
    expect(await exit).toBe(0);
    expect(out).toMatch(/^credential \S+ for alice on prod-db/m);
    const line = out.split('\n').find((l) => l.startsWith('PGPASSWORD='))!;
    expect(line).toContain(`psql "host=127.0.0.1 port=${port} user=alice dbname=postgres"`);
    const select = await runPrinted(line, "-c 'SELECT status FROM orders WHERE id = 2'");
    expect(select.stdout.trim()).toBe('paid');
    const [issued] = (await gateway.credentials.list({ subject: 'alice' })).slice(-1);
    expect(issued).toMatchObject({ kind: 'human', groups: ['dba'] });
  }, 60_000);

  it('keeps polling while authorization is pending (RFC 8628)', async () => {
    const before = issuer.devicePolls();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    let out = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exit = runLogin(
      { gateway: gateway.url, resource: 'prod-db', clientId: 'portcullis-cli', json: true },
      { stdin: Readable.from(['']), stdout, stderr },
      // The interval the provider asks for (5 s by default) is run fast here.
      { sleep: () => new Promise((r) => setTimeout(r, 50)) },
    );
    while (issuer.devicePolls() < before + 3) await new Promise((r) => setTimeout(r, 20));
    const userCode = /enter the code (\S+)/.exec(err)![1]!;
    await issuer.approveDevice(userCode, 'alice');
    expect(await exit).toBe(0);
    expect(issuer.devicePolls() - before).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(out)).toMatchObject({ user: 'alice', kind: 'human', groups: ['dba'] });
  });
});

describe('the credentials API refuses bad tokens with clear errors', () => {
  const exchange = (token: string) => api('POST', '/api/credentials', token, { resource: 'prod-db' });

  it('accepts a valid access token', async () => {
    const res = await exchange(await agentToken());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ user: 'agent-7', resource: 'prod-db' });
  });

  it('refuses an expired token', async () => {
    const token = await agentToken('short-agent');
    // 1 s lifetime, 1 s tolerance at the gateway.
    await new Promise((r) => setTimeout(r, 3_100));
    const res = await exchange(token);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      code: 'PC_GATEWAY_TOKEN',
      reason: 'expired',
      detail: 'the token has expired',
    });
    expect(res.wwwAuthenticate).toContain('error="invalid_token"');
  });

  it("refuses a token forged with another key under the issuer's kid", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ sub: 'agent-7', groups: ['security'], portcullis_kind: 'agent' })
      .setProtectedHeader({ alg: 'RS256', kid: issuer.kid, typ: 'at+jwt' })
      .setIssuer(issuer.issuer)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await exchange(forged);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'PC_GATEWAY_TOKEN', reason: 'signature' });
    expect(String(res.body.detail)).toContain("signature does not verify with the issuer's keys");
  });

  it('refuses a token issued for another audience', async () => {
    const res = await exchange(await agentToken('agent-7', 'https://other-api.example'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'PC_GATEWAY_TOKEN', reason: 'audience' });
    expect(String(res.body.detail)).toBe(
      `the token is not for this gateway (aud "https://other-api.example", expected "${AUD}")`,
    );
  });

  it('refuses alg=none, and HS256 keyed with the public key', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'agent-7', iss: issuer.issuer, aud: AUD, exp: Math.floor(Date.now() / 1000) + 300 };
    const none = await exchange(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      reason: 'algorithm',
      detail: `the token's algorithm is not accepted (alg "none")`,
    });
    // The header quotes the alg the caller chose; one outside latin-1 must still give a clean 401.
    const odd = await exchange(`${b64({ alg: 'nonë\u2028"x' })}.${b64(claims)}.`);
    expect(odd).toMatchObject({ status: 401, body: { reason: 'algorithm' } });
    expect(odd.wwwAuthenticate).toMatch(
      /^Bearer realm="portcullis", error="invalid_token", error_description="[ -~]+"$/,
    );
    const publicJwk = await (await fetch(`${issuer.issuer}/jwks`)).text();
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: issuer.kid })
      .sign(new TextEncoder().encode(publicJwk));
    expect((await exchange(hs)).body).toMatchObject({ code: 'PC_GATEWAY_TOKEN', reason: 'algorithm' });
  });

  it('refuses no token, a gateway credential as a bearer, an unknown resource and a bad ttl', async () => {
    expect((await api('POST', '/api/credentials', undefined, { resource: 'prod-db' })).status).toBe(401);
    const token = await agentToken();
    const issued = await exchange(token);
    const asBearer = await exchange(String(issued.body.password));
    expect(asBearer.status).toBe(401);
    const unknown = await api('POST', '/api/credentials', token, { resource: 'nope' });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'PC_GATEWAY_CREDENTIAL' } });
    const bad = await api('POST', '/api/credentials', token, { resource: 'prod-db', ttl: 'soon' });
    expect(bad.status).toBe(400);
    expect(String(bad.body.detail)).toContain('"soon" is not a positive duration');
  });

  it('lets reviewers call the approvals API with an OIDC access token', async () => {
    expect((await api('GET', '/api/approvals?state=pending', await agentToken())).status).toBe(200);
    expect((await api('GET', '/api/approvals', 'eyJhbGciOiJub25lIn0.e30.')).status).toBe(401);
  });
});

/** psql reading statements from a pipe, one at a time, as a person typing would send them. */
function livePsql(user: string, password: string) {
  const child = spawn(
    'stdbuf',
    ['-oL', '-eL', 'psql', '-X', '-At', `host=127.0.0.1 port=${port} user=${user} dbname=postgres`],
    { env: { ...process.env, PGPASSWORD: password }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const until = async (what: () => boolean, label: string) => {
    for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!what()) throw new Error(`psql: no ${label}; stdout ${out} stderr ${err}`);
  };
  return {
    async run(sql: string, expectOut: string) {
      child.stdin.write(`${sql}\n`);
      await until(() => out.includes(expectOut), expectOut);
    },
    async fail(sql: string, expectErr: string) {
      child.stdin.write(`${sql}\n`);
      await until(() => err.includes(expectErr), expectErr);
      return err;
    },
    close() {
      child.stdin.end('\\q\n');
      return new Promise<void>((r) => child.once('close', () => r()));
    },
  };
}

describe('revocation and expiry reach live sessions at their next statement', () => {
  it('a credential revoked through the API stops the next statement of a live psql session', async () => {
    const token = await agentToken();
    const issued = (await api('POST', '/api/credentials', token, { resource: 'prod-db' })).body;
    const id = String(issued.id);
    const session = livePsql('agent-7', String(issued.password));
    try {
      await session.run('SELECT 40 + 2;', '42');
      // Another subject may not revoke it (and is not told it exists); the owner may.
      expect((await api('DELETE', `/api/credentials/${id}`, mallory)).status).toBe(404);
      expect(await api('DELETE', `/api/credentials/${id}`, token)).toMatchObject({
        status: 200,
        body: { id, revoked: true },
      });
      const err = await session.fail('SELECT 43;', 'revoked or has expired');
      expect(err).toContain('portcullis.credential_revoked');
    } finally {
      await session.close();
    }
    const again = await sh(
      `psql -X -At "host=127.0.0.1 port=${port} user=agent-7 dbname=postgres" -c 'SELECT 1'`,
      { PGPASSWORD: String(issued.password) },
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/28P01|authentication failed/);
  });

  it('an admin-group member may revoke anyone’s credential', async () => {
    const issued = (await api('POST', '/api/credentials', await agentToken(), { resource: 'prod-db' })).body;
    expect((await api('DELETE', `/api/credentials/${String(issued.id)}`, secops)).status).toBe(200);
    expect(await gateway.credentials.isActive(String(issued.id))).toBe(false);
  });

  it('an expired credential stops the next statement of a live pg session', async () => {
    const issued = (
      await api('POST', '/api/credentials', await agentToken(), { resource: 'prod-db', ttl: '2s' })
    ).body;
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'agent-7',
      password: String(issued.password),
      database: 'postgres',
    });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(3);
      const wait = Date.parse(String(issued.expires_at)) - Date.now() + 200;
      await new Promise((r) => setTimeout(r, Math.max(wait, 0)));
      await expect(client.query('SELECT count(*)::int AS n FROM orders')).rejects.toThrow(
        /revoked or has expired/,
      );
    } finally {
      await client.end();
    }
  });
});
