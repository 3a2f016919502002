import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { spawnSsh, ssh } from './support/ssh-client.js';
import { fingerprintOf, freePort, generateKey } from './support/sshd-server.js';

const run = promisify(execFile);

/** Allows a local forward to the echo server, a remote forward on one port, and the agent. */
let fx: ProxyFixture;
/** Allows no forwarding at all. */
let closed: ProxyFixture;
let echo: Server;
let echoPort: number;
let remotePort: number;
/** The user's own ssh-agent, holding one key. */
let agent: { process: ChildProcess; socket: string; fingerprint: string; dir: string };

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  remotePort = await freePort();
  fx = await startProxyFixture({ forwarding: { local: echoPort, remote: remotePort, agent: true } });
  closed = await startProxyFixture();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-agent-'));
  const socket = join(dir, 'agent.sock');
  const key = await generateKey(dir, 'agent_key');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error('ssh-agent did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  await run('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  agent = { process: child, socket, fingerprint: await fingerprintOf(`${key}.pub`), dir };
});
afterAll(async () => {
  agent?.process.kill();
  if (agent) rmSync(agent.dir, { recursive: true, force: true });
  await fx?.stop();
  await closed?.stop();
  await new Promise((resolve) => echo.close(resolve));
});

/** Whether something on 127.0.0.1 accepts a connection on `port` now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Until `port` listens (`open`) or no longer does. */
async function waitForPort(port: number, open: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await listening(port)) !== open) {
    if (Date.now() > deadline) throw new Error(`port ${port} ${open ? 'never listened' : 'still listens'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const waitForListen = (port: number) => waitForPort(port, true);
const waitForClosed = (port: number) => waitForPort(port, false);

/** Connect to a local port, send a line, and collect what comes back until the socket closes. */
function exchange(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) socket.end();
    });
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.write(line);
  });
}

describe('port forwarding', () => {
  it('refuses a local forward (ssh -L) the policy does not allow', async () => {
    const localPort = await freePort();
    const child = spawnSsh(fx.user, ['-N', '-L', `${localPort}:127.0.0.1:${fx.sshd.port}`]);
    try {
      await waitForListen(localPort);
      // The client closes the local connection once the proxy refuses the channel.
      expect(await exchange(localPort, 'hello\n')).toBe('');
    } finally {
      child.kill();
    }
    expect(fx.audit).toContainEqual(
      expect.objectContaining({
        effect: 'deny',
        action: { type: 'connect', summary: `direct-tcpip 127.0.0.1 ${fx.sshd.port}` },
      }),
    );
  });

  it('refuses stdio forwarding (ssh -W) with the reason the channel failed', async () => {
    const result = await ssh(fx.user, '', { extra: ['-W', `127.0.0.1:${fx.sshd.port}`] });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/stdio forwarding failed/);
  });

  it('refuses a remote forward (ssh -R) the policy does not allow', async () => {
    const result = await ssh(fx.user, 'echo never', {
      extra: ['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echoPort}`],
    });
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/remote port forwarding failed/);
    expect(fx.audit).toContainEqual(
      expect.objectContaining({
        effect: 'deny',
        action: { type: 'connect', summary: 'tcpip-forward localhost 0' },
      }),
    );
  });

  it('relays a remote forward the policy allows: a connection to the host port reaches the client side', async () => {
    const child = spawnSsh(fx.user, [
      '-N',
      '-o',
      'ExitOnForwardFailure=yes',
      '-R',
      `127.0.0.1:${remotePort}:127.0.0.1:${echoPort}`,
    ]);
    try {
      // sshd listens on the host, which is this machine: host port → proxy → ssh → echo server.
      await waitForListen(remotePort);
      expect(await exchange(remotePort, 'pong\n')).toBe('pong\n');
      expect(await exchange(remotePort, 'again\n')).toBe('again\n');
    } finally {
      child.kill();
    }
    expect(fx.audit).toContainEqual(
      expect.objectContaining({
        effect: 'allow',
        action: { type: 'connect', summary: `tcpip-forward 127.0.0.1 ${remotePort}` },
      }),
    );
    // The session is gone, and with it the host's listener.
    await waitForClosed(remotePort);
  });

  it('a cancelled remote forward stops listening on the host, and the session goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-ctl-'));
    const control = join(dir, 'control');
    const spec = `127.0.0.1:${remotePort}:127.0.0.1:${echoPort}`;
    const master = spawnSsh(fx.user, [
      '-N',
      '-M',
      '-S',
      control,
      '-o',
      'ExitOnForwardFailure=yes',
      '-R',
      spec,
    ]);
    let stderr = '';
    master.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await waitForListen(remotePort);
      // The probe's connection is relayed after the fact; cancel only once the forward has
      // carried a whole exchange, or it could reach the client after the cancel.
      expect(await exchange(remotePort, 'before\n')).toBe('before\n');
      // OpenSSH's control socket sends cancel-tcpip-forward over the master's connection.
      await run('ssh', ['-S', control, '-O', 'cancel', '-R', spec, 'gateway']);
      await waitForClosed(remotePort);
      expect({ exitCode: master.exitCode, stderr }).toEqual({ exitCode: null, stderr: '' });
    } finally {
      master.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forwards a port the policy allows, through the host', async () => {
    const localPort = await freePort();
    const child = spawnSsh(fx.user, ['-N', '-L', `${localPort}:127.0.0.1:${echoPort}`]);
    try {
      await waitForListen(localPort);
      expect(await exchange(localPort, 'ping\n')).toBe('ping\n');
    } finally {
      child.kill();
    }
  });
});

describe('agent forwarding', () => {
  it('relays the agent (ssh -A) when the policy allows: ssh-add -l on the host lists the user key', async () => {
    const result = await ssh(fx.user, 'ssh-add -l', { extra: ['-A'], env: { SSH_AUTH_SOCK: agent.socket } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(agent.fingerprint);
    expect(fx.audit).toContainEqual(
      expect.objectContaining({ effect: 'allow', action: { type: 'connect', summary: 'auth-agent' } }),
    );
  });

  it('also in an interactive shell', async () => {
    const child = spawnSsh(fx.user, ['-tt', '-A'], undefined, { SSH_AUTH_SOCK: agent.socket });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise((resolve) => child.once('close', resolve));
    try {
      child.stdin.write('ssh-add -l\r');
      const deadline = Date.now() + 15_000;
      while (!output.includes(agent.fingerprint)) {
        if (Date.now() > deadline) throw new Error(`no key listed; output so far:\n${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      child.stdin.write('exit\r');
      await exited;
    } finally {
      child.kill();
    }
  });

  it('refuses it when the policy does not allow it: the host sees no agent', async () => {
    const result = await ssh(closed.user, 'ssh-add -l; echo "exit $?"', {
      extra: ['-A'],
      env: { SSH_AUTH_SOCK: agent.socket },
    });
    expect(result.stdout).not.toContain(agent.fingerprint);
    // ssh-add: 2 when it cannot reach an agent.
    expect(result.stdout).toContain('exit 2');
    expect(closed.audit).toContainEqual(
      expect.objectContaining({ effect: 'deny', action: { type: 'connect', summary: 'auth-agent' } }),
    );
  });

  it('without -A, the host gets no agent even where the policy would allow one', async () => {
    const result = await ssh(fx.user, 'ssh-add -l; echo "exit $?"', { env: { SSH_AUTH_SOCK: agent.socket } });
    expect(result.stdout).toContain('exit 2');
  });
});
