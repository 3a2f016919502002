/**
 * A throw-away PostgreSQL cluster for tests: Debian's server binaries, owned by the
 * `postgres` OS user (the server refuses to run as root), listening on loopback on a free
 * port with scram-sha-256 authentication. Start it in beforeAll and stop it in afterAll.
 */

import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  host: string;
  port: number;
  /** The directory of the server's Unix-domain socket (`.s.PGSQL.<port>`). */
  socketDir: string;
  /** Superuser, with a scram-sha-256 password. */
  user: string;
  password: string;
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

async function asPostgres(command: string, args: string[]): Promise<void> {
  await run('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { timeout: 60_000 });
}

export interface PostgresServerOptions {
  /** Turn ssl on with this certificate and key (PEM files; copied into the data directory). */
  ssl?: { certFile: string; keyFile: string };
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
  const data = join(dir, 'data');
  const password = 'operator-secret-' + Math.random().toString(36).slice(2);
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password + '\n');
  const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
    uid: Number(u.stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  }));
  chownSync(dir, uid, gid);
  chownSync(pwfile, uid, gid);
  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const settings: string[] = [];
  if (options.ssl) {
    // The server insists its key is private to it.
    for (const [from, to] of [
      [options.ssl.certFile, 'server.crt'],
      [options.ssl.keyFile, 'server.key'],
    ] as const) {
      copyFileSync(from, join(data, to));
      chownSync(join(data, to), uid, gid);
      chmodSync(join(data, to), 0o600);
    }
    settings.push('-c ssl=on');
  }
  const port = await freePort();
  await asPostgres('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ${settings.join(' ')}`,
    'start',
  ]);
  return {
    host: '127.0.0.1',
    port,
    socketDir: dir,
    user: 'postgres',
    password,
    async stop() {
      try {
        await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
