/**
 * A throw-away OpenSSH server for tests: Debian's sshd on loopback and a free port, with host
 * keys, an authorized user key and its own config in a temp dir, run in the foreground so
 * killing it cleans up. The account is root (tests run as root, locally and in CI), which
 * sshd accepts with `PermitRootLogin prohibit-password`.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SshdServer {
  host: string;
  port: number;
  username: string;
  /** The key the operator (the proxy) logs in with, OpenSSH PEM. */
  operatorKey: string;
  /** `SHA256:…` of the server's ed25519 host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  dir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A fresh key pair written as `<dir>/<name>` and `<dir>/<name>.pub`; returns the private key path. */
export async function generateKey(dir: string, name: string, type = 'ed25519'): Promise<string> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  return file;
}

export async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile]);
  const fp = stdout.split(' ')[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen output: ${stdout}`);
  return fp;
}

function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`sshd exited with ${child.exitCode}: ${log()}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSshd(): Promise<SshdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sshd-'));
  const hostKey = await generateKey(dir, 'ssh_host_ed25519_key');
  const operatorKeyFile = await generateKey(dir, 'operator_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${operatorKeyFile}.pub`));
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'Subsystem sftp internal-sftp',
      'PrintMotd no',
      'PrintLastLog no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await waitForPort(port, child, () => stderr);
  return {
    host: '127.0.0.1',
    port,
    username: 'root',
    operatorKey: readFileSync(operatorKeyFile, 'utf8'),
    hostKeyFingerprint: await fingerprintOf(`${hostKey}.pub`),
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
