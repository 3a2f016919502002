import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { spawnSsh, ssh } from './support/ssh-client.js';
import { freePort } from './support/sshd-server.js';

let fx: ProxyFixture;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  fx = await startProxyFixture({ allowForward: echoPort });
});
afterAll(async () => {
  await fx?.stop();
  await new Promise((resolve) => echo.close(resolve));
});

function waitForListen(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () =>
        Date.now() > deadline ? reject(new Error('no listener')) : setTimeout(attempt, 50),
      );
    };
    attempt();
  });
}

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

  it('refuses a remote forward (ssh -R)', async () => {
    const result = await ssh(fx.user, 'echo never', {
      extra: ['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echoPort}`],
    });
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/remote port forwarding failed/);
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
