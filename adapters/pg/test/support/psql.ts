import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PsqlTarget {
  host?: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

function args(target: PsqlTarget, commands: readonly string[], stopOnError: boolean): string[] {
  return [
    '-X',
    '-A',
    '-t',
    ...(stopOnError ? ['-v', 'ON_ERROR_STOP=1'] : []),
    '-h',
    target.host ?? '127.0.0.1',
    '-p',
    String(target.port),
    '-U',
    target.user,
    '-d',
    target.database ?? 'app',
    ...commands.flatMap((c) => ['-c', c]),
  ];
}

const env = (target: PsqlTarget) => ({
  ...process.env,
  PGPASSWORD: target.password,
  PGCONNECT_TIMEOUT: '10',
});

/**
 * Debian's psql, unaligned and tuples only, one `-c` per command; rejects (with stdout and
 * stderr on the error) when psql exits non-zero.
 */
export function psql(
  target: PsqlTarget,
  commands: readonly string[],
  options: { stopOnError?: boolean } = {},
) {
  return run('psql', args(target, commands, options.stopOnError ?? true), { env: env(target) });
}

/** As `psql`, with the output as bytes (binary COPY). */
export function psqlBytes(target: PsqlTarget, commands: readonly string[]) {
  return run('psql', args(target, commands, true), { env: env(target), encoding: 'buffer' });
}
