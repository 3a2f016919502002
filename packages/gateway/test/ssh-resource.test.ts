import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKey, type SshdServer, startSshd } from '@portcullis/ssh/test-support/sshd-server';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { knownHostsVerifier } from '../src/resources/known-hosts.js';
import { repoRoot } from './cli-helpers.js';

const run = promisify(execFile);

let sshd: SshdServer;
let dir: string;
let gateway: Gateway;
let userKey: string;
let port: number;
const reviewerKey = generateApiKey();

function config(upstream: Record<string, unknown>) {
  return {
    server: { listen: { port: 0 } },
    policy: { rego: join(repoRoot, 'rego') },
    state: { path: join(dir, 'state.db') },
    audit: { path: join(dir, 'audit.jsonl') },
    approvals: { wait: '2s' },
    recordings: { path: join(dir, 'recordings') },
    identity: { api_keys: [{ id: 'rita', kind: 'human', hash: hashApiKey(reviewerKey, 'sha256') }] },
    resources: [
      {
        name: 'web-1',
        type: 'ssh',
        labels: { env: 'prod' },
        listen: { port: 0 },
        host_keys: [`file:${join(dir, 'gateway_host_key')}`],
        authorized_keys: [{ key: readFileSync(`${userKey}.pub`, 'utf8').trim(), id: 'alice', kind: 'human' }],
        upstream: {
          host: sshd.host,
          port: sshd.port,
          user: sshd.username,
          private_key: 'env:OPERATOR_KEY',
          ...upstream,
        },
      },
    ],
  };
}

const baseArgs = () => [
  '-F',
  '/dev/null',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-p',
  String(port),
];

async function ssh(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run('ssh', args, { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** ssh with a password, the way a script does it: SSH_ASKPASS forced, no terminal. */
/** `command` over ssh as alice, with her configured public key (a person). */
function asAlice(command: string) {
  return ssh([...baseArgs(), '-i', userKey, '-o', 'IdentitiesOnly=yes', 'alice@127.0.0.1', command]);
}

/** A short-lived gateway credential for web-1, issued to the agent carol. */
function agentCredential() {
  return gateway.credentials.issue({ subject: 'carol', kind: 'agent', resource: 'web-1', ttl: '5m' });
}

async function sshWithPassword(user: string, password: string, command: string) {
  const askpass = join(dir, `askpass-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${password}'\n`);
  chmodSync(askpass, 0o700);
  return ssh(
    [
      ...baseArgs(),
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'NumberOfPasswordPrompts=1',
      `${user}@127.0.0.1`,
      command,
    ],
    { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
  );
}

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-ssh-'));
  await generateKey(dir, 'gateway_host_key');
  userKey = await generateKey(dir, 'alice_key');
  const cfg = validateConfig(config({ host_key_fingerprint: sshd.hostKeyFingerprint }), dir);
  gateway = await startGateway({
    config: cfg,
    env: { OPERATOR_KEY: sshd.operatorKey },
    logger: pino({ level: 'silent' }),
  });
  port = gateway.resources.get('web-1')!.port;
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gateway SSH resource', () => {
  it('runs an allowed command for a configured public key', async () => {
    const result = await asAlice('echo hello from $(whoami)');
    expect(result).toMatchObject({ code: 0, stdout: 'hello from root\n' });
  });

  it('denies rm -rf / with exit status 126 and writes the decision to the audit log', async () => {
    const result = await asAlice('rm -rf /');
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(/denied/i);
    const entries = await gateway.auditIndex.query({ subject: 'alice', resource: 'web-1' });
    expect(entries.some((e) => e.effect === 'deny' && e.summary.includes('rm -rf /'))).toBe(true);
  });

  it('refuses port and agent forwarding under the shipped policy library', async () => {
    const user = [...baseArgs(), '-i', userKey, '-o', 'IdentitiesOnly=yes', '-o', 'ExitOnForwardFailure=yes'];
    const remote = await ssh([...user, '-R', '0:127.0.0.1:9', 'alice@127.0.0.1', 'echo never']);
    expect(remote.code).toBe(255);
    expect(remote.stderr).toMatch(/remote port forwarding failed/);
    const stdio = await ssh([...user, '-W', `127.0.0.1:${sshd.port}`, 'alice@127.0.0.1']);
    expect(stdio.stderr).toMatch(/stdio forwarding failed/);
    // ssh asks to forward an agent only when it has one.
    const socket = join(dir, 'agent.sock');
    const agentProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 10_000;
      while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // The host gets no agent: ssh-add exits 2 when there is none to reach.
      const agent = await ssh([...user, '-A', 'alice@127.0.0.1', 'ssh-add -l; echo "exit $?"'], {
        ...process.env,
        SSH_AUTH_SOCK: socket,
      });
      expect(agent.stdout).toContain('exit 2');
    } finally {
      agentProcess.kill();
    }
    const entries = await gateway.auditIndex.query({ subject: 'alice', resource: 'web-1' });
    const refused = entries.filter((e) => e.effect === 'deny').map((e) => e.summary);
    expect(refused).toEqual(
      expect.arrayContaining([
        'tcpip-forward localhost 0',
        `direct-tcpip 127.0.0.1 ${sshd.port}`,
        'auth-agent',
      ]),
    );
  });

  it('refuses a public key mapped to another user, and one not configured', async () => {
    const other = await ssh([
      ...baseArgs(),
      '-i',
      userKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      'bob@127.0.0.1',
      'true',
    ]);
    expect(other.code).toBe(255);
    const stranger = await generateKey(dir, 'stranger_key');
    const refused = await ssh([
      ...baseArgs(),
      '-i',
      stranger,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      'alice@127.0.0.1',
      'true',
    ]);
    expect(refused.code).toBe(255);
  });

  it('accepts a gateway credential for this resource as password, and not once it is revoked', async () => {
    const credential = await agentCredential();
    const ok = await sshWithPassword('carol', credential.token, 'echo ok');
    expect(ok).toMatchObject({ code: 0, stdout: 'ok\n' });
    await gateway.credentials.revoke(credential.id);
    const revoked = await sshWithPassword('carol', credential.token, 'echo ok');
    expect(revoked.code).toBe(255);
    expect(revoked.stdout).toBe('');
  });

  it("masks what an agent's command prints, with the shipped policy's detectors", async () => {
    const credential = await agentCredential();
    const result = await sshWithPassword(
      'carol',
      credential.token,
      "printf 'card %s\\nmail %s\\n' '4111 1111 1111 1111' 'ann.lee@example.com'",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('4111 1111 1111');
    expect(result.stdout).not.toContain('ann.lee@example.com');
    expect(result.stdout).toMatch(/^card \S.*1111$/m);
    // A person's session is not masked.
    const own = await asAlice('echo 4111 1111 1111 1111');
    expect(own.stdout).toBe('4111 1111 1111 1111\n');
  });

  it('masks the passwords of an environment file an agent prints, and keeps the rest readable', async () => {
    const credential = await agentCredential();
    const result = await sshWithPassword(
      'carol',
      credential.token,
      "printf 'DATABASE_URL=postgres://app:%s@db:5432/prod\\nDB_PASSWORD=\"%s\"\\nOPENAI_API_KEY=%s\\nAWS_SECRET_ACCESS_KEY=%s\\nJWT_SECRET=%s\\nPORT=8080\\n' 'Url-pw-71' 'Env-pw-72' sk-proj-Env-key-73abcdefghijklmnopqrstuvwxyz Env/key/74+abcdefghijklmnopqrstuvwxyz01 Jwt-signing-75",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/pw-7|key-73|key\/74|signing-75/);
    expect(result.stdout).toBe(
      'DATABASE_URL=postgres://app:[REDACTED]@db:5432/prod\nDB_PASSWORD="[REDACTED]"\nOPENAI_API_KEY=[REDACTED]\n' +
        'AWS_SECRET_ACCESS_KEY=[REDACTED]\nJWT_SECRET=[REDACTED]\nPORT=8080\n',
    );
    const own = await asAlice("printf 'DB_PASSWORD=%s\\n' 'Env-pw-73'");
    expect(own.stdout).toBe('DB_PASSWORD=Env-pw-73\n');
  });

  it('refuses a credential issued for another resource', async () => {
    const credential = await gateway.credentials.issue({ subject: 'carol', resource: 'other-db', ttl: '5m' });
    const result = await sshWithPassword('carol', credential.token, 'echo ok');
    expect(result.code).toBe(255);
  });
});

describe('gateway SSH recordings', () => {
  it('records an interactive session and plays it on the recordings page in Chromium', async () => {
    const marker = `recorded-${Math.random().toString(36).slice(2, 10)}`;
    const child = spawn(
      'ssh',
      [...baseArgs(), '-tt', '-i', userKey, '-o', 'IdentitiesOnly=yes', 'alice@127.0.0.1'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    // Type only once the shell has answered, as a person would.
    const deadline = Date.now() + 20_000;
    while (!/[#$] $/m.test(screen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.write(`echo ${marker}-$((6*7))\r`);
    while (!screen.includes(`${marker}-42`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    child.stdin.write('exit\r');
    await new Promise((r) => child.once('close', r));
    expect(screen).toContain(`${marker}-42`);

    // The .cast file is listed and served to a bearer token.
    const recordingsDir = join(dir, 'recordings');
    let casts: string[] = [];
    for (let i = 0; i < 100 && casts.length === 0; i++) {
      casts = readdirSync(recordingsDir).filter((n) => n.endsWith('.cast'));
      if (casts.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    const cast = casts.find((n) => readFileSync(join(recordingsDir, n), 'utf8').includes(`${marker}-42`));
    expect(cast).toBeDefined();
    const refused = await fetch(`${gateway.url}/recordings/${cast}`);
    expect(refused.status).toBe(401);
    const served = await fetch(`${gateway.url}/recordings/${cast}`, {
      headers: { authorization: `Bearer ${reviewerKey}` },
    });
    expect(served.status).toBe(200);
    const lines = (await served.text()).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2 });
    expect(lines.some((l) => l.startsWith('[') && JSON.parse(l)[1] === 'm')).toBe(true);

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    try {
      const page = await (await browser.newContext()).newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.goto(`${gateway.url}/approvals`);
      await page.getByLabel('Reviewer API key').fill(reviewerKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${gateway.url}/approvals`);
      await page.goto(`${gateway.url}/recordings`);
      await page.getByRole('link', { name: cast! }).click();
      // asciinema's player renders the terminal as text in the page once it plays.
      try {
        await page.locator('#player', { hasText: `${marker}-42` }).waitFor({ timeout: 20_000 });
      } catch (err) {
        const shown = (await page.locator('#player').innerHTML()).slice(0, 2000);
        throw new Error(`${(err as Error).message}\nproblems: ${problems.join(' | ')}\nplayer: ${shown}`);
      }
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('serves no recording outside its directory', async () => {
    for (const path of [
      '/recordings/..%2Fstate.db',
      '/recordings/%2e%2e%2fstate.db.cast',
      '/recordings/x%00.cast',
    ]) {
      const res = await fetch(`${gateway.url}${path}`, {
        headers: { authorization: `Bearer ${reviewerKey}` },
      });
      expect(res.status).toBe(404);
    }
  });
});

describe('gateway SSH resource configuration', () => {
  it('demands a pinned host key or known_hosts, naming the field', () => {
    expect(() => validateConfig(config({}), dir)).toThrow(ConfigError);
    try {
      validateConfig(config({}), dir);
    } catch (err) {
      expect((err as ConfigError).message).toMatch(
        /resources\[0\]\.upstream.*host_key_fingerprint.*known_hosts/,
      );
    }
  });

  it('rejects a malformed fingerprint and an inline private key', () => {
    const bad = config({
      host_key_fingerprint: 'MD5:aa:bb',
      private_key: '-----BEGIN OPENSSH PRIVATE KEY-----',
    });
    let message = '';
    try {
      validateConfig(bad, dir);
    } catch (err) {
      message = (err as ConfigError).message;
    }
    expect(message).toMatch(/resources\[0\]\.upstream\.host_key_fingerprint: expected SHA256:/);
    expect(message).toMatch(/resources\[0\]\.upstream\.private_key: inline secrets are not accepted/);
    expect(message).not.toContain('BEGIN OPENSSH');
  });

  it('offers only the configured ciphers, and stops at start on an unknown one', async () => {
    const withCiphers = (ciphers: unknown) => ({
      ...config({ host_key_fingerprint: sshd.hostKeyFingerprint }),
      server: { listen: { port: 0 } },
      resources: [{ ...config({ host_key_fingerprint: sshd.hostKeyFingerprint }).resources[0], ciphers }],
    });
    const start = (ciphers: unknown) =>
      startGateway({
        config: validateConfig(withCiphers(ciphers), dir),
        env: { OPERATOR_KEY: sshd.operatorKey },
        logger: pino({ level: 'silent' }),
      });
    await expect(start(['rot13'])).rejects.toThrow(/ciphers.*rot13/);
    expect(() => validateConfig(withCiphers([]), dir)).toThrow(/resources\[0\]\.ciphers/);
    const gcm = await start(['aes128-gcm@openssh.com']);
    try {
      const gcmPort = gcm.resources.get('web-1')!.port;
      const user = ['-i', userKey, '-o', 'IdentitiesOnly=yes', 'alice@127.0.0.1'];
      const ok = await ssh([...baseArgs().slice(0, -2), '-p', String(gcmPort), '-v', ...user, 'echo gcm']);
      expect(ok.stdout).toBe('gcm\n');
      expect(ok.stderr).toMatch(/cipher: aes128-gcm@openssh\.com/);
      const refused = await ssh([
        ...baseArgs().slice(0, -2),
        '-p',
        String(gcmPort),
        '-c',
        'aes256-ctr',
        ...user,
        'true',
      ]);
      expect(refused.code).toBe(255);
    } finally {
      await gcm.close();
    }
  });

  it('start --check reports an unset host-key secret by its field', async () => {
    const file = join(dir, 'portcullis.yaml');
    writeFileSync(file, JSON.stringify(config({ host_key_fingerprint: sshd.hostKeyFingerprint })));
    const { checkSecrets } = await import('../src/config/load-config.js');
    const cfg = await loadConfig(file);
    await expect(checkSecrets(cfg, {})).rejects.toThrow(/resources\[0\]\.upstream\.private_key/);
  });

  it('verifies the upstream against known_hosts, plain and hashed', async () => {
    const { stdout } = await run('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ed25519', '127.0.0.1']);
    const line = stdout.split('\n').find((l) => l.includes('ssh-ed25519'))!;
    const blob = Buffer.from(line.split(' ')[2]!, 'base64');
    expect(knownHostsVerifier(line, '127.0.0.1', sshd.port)(blob)).toBe(true);
    expect(knownHostsVerifier(line, '127.0.0.2', sshd.port)(blob)).toBe(false);
    const hashedFile = join(dir, 'known_hosts_hashed');
    writeFileSync(hashedFile, `${line}\n`);
    await run('ssh-keygen', ['-H', '-f', hashedFile]);
    const hashed = readFileSync(hashedFile, 'utf8');
    expect(hashed).toMatch(/^\|1\|/);
    expect(knownHostsVerifier(hashed, '127.0.0.1', sshd.port)(blob)).toBe(true);
    expect(knownHostsVerifier(`@revoked ${line}\n${line}`, '127.0.0.1', sshd.port)(blob)).toBe(false);
  });

  it('starts with known_hosts instead of a pin and runs commands', async () => {
    const { stdout } = await run('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ed25519', '127.0.0.1']);
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, stdout);
    const cfg = validateConfig(
      {
        ...config({ known_hosts: knownHosts }),
        state: { path: join(dir, 'state2.db') },
        audit: { path: join(dir, 'audit2.jsonl') },
      },
      dir,
    );
    const second = await startGateway({
      config: cfg,
      env: { OPERATOR_KEY: sshd.operatorKey },
      logger: pino({ level: 'silent' }),
    });
    try {
      const p = second.resources.get('web-1')!.port;
      const args = baseArgs();
      args[args.length - 1] = String(p);
      const result = await ssh([
        ...args,
        '-i',
        userKey,
        '-o',
        'IdentitiesOnly=yes',
        'alice@127.0.0.1',
        'echo via known_hosts',
      ]);
      expect(result).toMatchObject({ code: 0, stdout: 'via known_hosts\n' });
    } finally {
      await second.close();
    }
  });
});
