/**
 * Debian's OpenSSH client, run against the proxy the way a person or an agent would: no user
 * config, no known_hosts, one identity.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

export interface SshTarget {
  port: number;
  identity: string;
  user?: string;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function sshArgs(target: SshTarget, extra: string[] = []): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    '-i',
    target.identity,
    '-p',
    String(target.port),
    ...extra,
    `${target.user ?? 'alice'}@127.0.0.1`,
  ];
}

export function spawnSsh(
  target: SshTarget,
  extra: string[],
  command?: string,
  env?: Record<string, string>,
): ChildProcessWithoutNullStreams {
  const args = sshArgs(target, extra);
  if (command !== undefined) args.push(command);
  return spawn('ssh', args, { stdio: 'pipe', ...(env ? { env: { ...process.env, ...env } } : {}) });
}

/** Run one command through ssh; resolves when ssh exits. */
export function ssh(
  target: SshTarget,
  command: string,
  options: {
    stdin?: string;
    extra?: string[];
    onStderr?: (text: string) => void;
    /** Added to the client's environment (SSH_AUTH_SOCK, say). */
    env?: Record<string, string>;
  } = {},
): Promise<SshResult> {
  const child = spawnSsh(target, options.extra ?? [], command, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.onStderr?.(stderr);
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** ssh2's client logged in as `user` (alice) through `target`, for what OpenSSH's client cannot be made to send. */
export async function connectSsh2(target: SshTarget, user = 'alice'): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: target.port,
      username: user,
      privateKey: readFileSync(target.identity),
    });
  });
  return client;
}
