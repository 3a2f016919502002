import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { main } from '../src/cli/main.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const binPath = fileURLToPath(new URL('../bin/portcullis.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs the CLI in-process, as the bin does, with the given stdin. */
export async function runCli(argv: string[], stdin = ''): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await main(argv, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: out(), stderr: err() };
}

const exec = promisify(execFile);

/** Makes sure the built bin exists, building once when it does not. */
export async function ensureBuilt(): Promise<void> {
  const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const coreBuilt = fileURLToPath(new URL('../../core/dist/index.js', import.meta.url));
  if (existsSync(built) && existsSync(coreBuilt)) return;
  await exec('npm', ['run', 'build', '-w', '@portcullis/core', '-w', 'portcullis'], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Streams for a command's io, and what it wrote to them so far. */
export function captureIo() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  err.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return {
    io: { stdin: Readable.from([]), stdout: out, stderr: err },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
