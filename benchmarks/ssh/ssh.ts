/**
 * SSH proxy benchmark: Debian's OpenSSH client against one throw-away Debian sshd, directly
 * and through the Portcullis SSH proxy (shipped policy library compiled to wasm, in its own
 * process), side by side in one run:
 *
 * - throughput: `ssh host cat <file>` of a SIZE_MB file, its stdout read and discarded here,
 *   timed from its first byte to its last (and, end to end, from spawn to exit; `ssh host
 *   true` is timed as the setup: connection, login, one decision);
 * - keystroke echo: an interactive shell (`ssh -tt`), one printable key at a time, timed from
 *   writing it to ssh's stdin to its echo arriving on ssh's stdout (through the proxy every
 *   key passes the shell line editor).
 *
 * Two more paths are peers for throughput, OpenSSH itself relaying through the same host:
 * - openssh-relay: a relay that ends both legs and sees the bytes, as the proxy does:
 *   `ssh host "ssh host cat <file>"`. The inner ssh client decrypts the stream and the outer
 *   sshd encrypts it again (with a pipe between them, which a one-process relay would not have).
 * - openssh-jump: the usual bastion, `ssh -o ProxyCommand="ssh host -W %h:%p" host cat <file>`.
 *   The bastion's sshd never sees the bytes: it wraps the inner, still encrypted, connection in
 *   its own, and the client decrypts twice.
 * RELAY_PEER=0 leaves both out.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/ssh/ssh.ts
 *
 * Settings (environment): SIZE_MB (200), RUNS per path (5), KEYS per keystroke run (200),
 * KEY_RUNS (3), CIPHER (passed as `ssh -c` on every leg of every path), PROXY_CIPHERS (comma-separated: the
 * only ciphers the proxy offers clients, its `ciphers` option), POLICY=function for an allow-all
 * evaluator, PROXY_NODE_ARGS (node flags of the proxy process; default
 * --initial-old-space-size=512, see below), NOTE, PRELIMINARY=1, OUT.
 * Writes benchmarks/ssh/results/ssh-<date>.json.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sshArgs as clientArgs } from '../../adapters/ssh/test/support/ssh-client.js';
import { fingerprintOf, generateKey, startSshd } from '../../adapters/ssh/test/support/sshd-server.js';
import { median } from '../support/median.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SIZE_MB = Number(process.env.SIZE_MB ?? 200);
const RUNS = Number(process.env.RUNS ?? 5);
const KEYS = Number(process.env.KEYS ?? 200);
const KEY_RUNS = Number(process.env.KEY_RUNS ?? 3);
/** A cipher both paths' ssh clients ask for (`-c`); unset, OpenSSH's default order applies. */
const CIPHER = process.env.CIPHER;
/**
 * Node flags of the proxy process. The default gives V8's old generation room to start with,
 * so the external memory that ssh2's per-packet buffers churn through does not trigger a full
 * mark-compact every few dozen MiB (profile.ts: 11–17 per 200 MiB without it, none with it, and
 * about 40% less CPU per MiB). 512 MB because this process runs from source under tsx, where
 * binaryen alone keeps ~220 MB live; a built gateway needs the same headroom over a smaller heap.
 */
const PROXY_NODE_ARGS = (process.env.PROXY_NODE_ARGS ?? '--initial-old-space-size=512')
  .split(' ')
  .filter(Boolean);

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

const RELAY_PEER = process.env.RELAY_PEER !== '0';

interface Path {
  name: 'direct' | 'portcullis' | 'openssh-relay' | 'openssh-jump';
  port: number;
  user: string;
  identity: string;
}

const shellQuote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * Debian's ssh against one path, as the tests run it, with the benchmark's cipher (on
 * openssh-jump, through an ssh -W to the same host with the same options).
 */
const sshArgs = (path: Path, extra: string[]): string[] => {
  const cipher = CIPHER ? ['-c', CIPHER] : [];
  if (path.name !== 'openssh-jump') return clientArgs(path, [...cipher, ...extra]);
  const jump = ['ssh', ...clientArgs(path, [...cipher, '-W', '%h:%p'])].map(shellQuote).join(' ');
  return clientArgs(path, [...cipher, '-o', `ProxyCommand=${jump}`, ...extra]);
};

/**
 * The command a path runs for `command`: on openssh-relay, an ssh on the host that runs it on
 * the same host again, so the bytes cross a second OpenSSH connection ended on both sides.
 */
const remoteCommand = (path: Path, command: string): string =>
  path.name === 'openssh-relay' ? ['ssh', ...sshArgs(path, []), command].map(shellQuote).join(' ') : command;

/**
 * One `ssh … command`: seconds from spawn to exit, and from the first byte of its stdout to
 * the last (the transfer itself, without connection setup and login). stdout is read and
 * discarded here, the same way for both paths.
 */
async function timed(
  path: Path,
  command: string,
): Promise<{ total: number; transfer: number; bytes: number }> {
  const started = process.hrtime.bigint();
  const child = spawn('ssh', [...sshArgs(path, []), remoteCommand(path, command)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let first: bigint | undefined;
  let last = started;
  let bytes = 0;
  child.stdout.on('data', (d: Buffer) => {
    last = process.hrtime.bigint();
    first ??= last;
    bytes += d.length;
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${path.name}: ssh ${command} exited ${code}: ${stderr}`);
  const end = process.hrtime.bigint();
  return {
    total: Number(end - started) / 1e9,
    transfer: first === undefined ? 0 : Number(last - first) / 1e9,
    bytes,
  };
}

/** Echo latency of KEYS single keystrokes at an interactive shell, in milliseconds. */
async function keystrokes(path: Path): Promise<number[]> {
  const child = spawn('ssh', sshArgs(path, ['-tt']), { stdio: 'pipe' });
  let out = '';
  let waiter: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    waiter?.();
  });
  const until = (test: () => boolean, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`${path.name}: no echo; output:\n${out.slice(-500)}`)),
        timeoutMs,
      );
      waiter = () => {
        if (test()) {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        }
      };
    });
  child.stdin.write('echo ready-$((6*7))\r');
  await until(() => out.includes('ready-42'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    // Alternate a key and its erasure so the line stays short and the echo is one byte.
    const erase = i % 2 === 1;
    const mark = out.length;
    const started = process.hrtime.bigint();
    child.stdin.write(erase ? '\x7f' : 'x');
    await until(() => (erase ? out.slice(mark).includes('\b') : out.slice(mark).includes('x')));
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  child.stdin.write('\x15exit\r');
  const timer = setTimeout(() => child.kill(), 5_000);
  await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return samples;
}

/** Per run, each path's transfer rate over direct's in the same run: medians and ranges. */
function pairedRatios(
  cat: Record<string, { transfer_s: number[] }>,
): Record<string, { median: number; min: number; max: number }> {
  const direct = cat.direct?.transfer_s ?? [];
  const out: Record<string, { median: number; min: number; max: number }> = {};
  for (const [name, c] of Object.entries(cat)) {
    if (name === 'direct') continue;
    const ratios = c.transfer_s.map((t, i) => (direct[i] ?? Number.NaN) / t).filter(Number.isFinite);
    if (ratios.length === 0) continue;
    out[name] = {
      median: round(median(ratios), 3),
      min: round(Math.min(...ratios), 3),
      max: round(Math.max(...ratios), 3),
    };
  }
  return out;
}

function waitForLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`proxy not ready:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = /\{"port":\d+\}/.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve(line[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}:\n${out}`)));
  });
}

async function main(): Promise<void> {
  const load: { start: number[]; end?: number[] } = { start: os.loadavg() };
  const sshd = await startSshd();
  const keys = mkdtempSync(join(os.tmpdir(), 'portcullis-bench-ssh-'));
  const userKey = await generateKey(keys, 'user_key');
  const hostKey = await generateKey(keys, 'proxy_host_key');
  const operatorKey = join(keys, 'operator_key');
  writeFileSync(operatorKey, sshd.operatorKey, { mode: 0o600 });
  const file = join(keys, 'payload.bin');
  await run('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${SIZE_MB}`, 'status=none']);

  const proxyChild = spawn(
    process.execPath,
    [
      ...PROXY_NODE_ARGS,
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      join(repoRoot, 'benchmarks/ssh/proxy-server.ts'),
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        UPSTREAM_PORT: String(sshd.port),
        UPSTREAM_KEY: operatorKey,
        UPSTREAM_FINGERPRINT: sshd.hostKeyFingerprint,
        HOST_KEY: hostKey,
        USER_FINGERPRINT: await fingerprintOf(`${userKey}.pub`),
      },
    },
  );
  try {
    const { port } = JSON.parse(await waitForLine(proxyChild, 300_000)) as { port: number };
    const paths: Path[] = [
      { name: 'direct', port: sshd.port, user: 'root', identity: operatorKey },
      { name: 'portcullis', port, user: 'bench', identity: userKey },
      ...(RELAY_PEER
        ? (['openssh-relay', 'openssh-jump'] as const).map((name) => ({
            name,
            port: sshd.port,
            user: 'root',
            identity: operatorKey,
          }))
        : []),
    ];
    const echoPaths = paths.filter((p) => p.name === 'direct' || p.name === 'portcullis');

    // Warm-up: one login and a short transfer per path (the proxy compiles nothing lazily,
    // but the first decision and the first channel pay for JIT warm-up).
    for (const p of paths) {
      await timed(p, 'true');
      await timed(p, `head -c 20000000 ${file}`);
    }

    const cat: Record<string, { total_s: number[]; transfer_s: number[]; setup_s: number[] }> =
      Object.fromEntries(paths.map((p) => [p.name, { total_s: [], transfer_s: [], setup_s: [] }]));
    for (let r = 0; r < RUNS; r++) {
      // Interleaved, the order rotating per run, so drift in the machine's load spreads over
      // every path.
      for (const p of [...paths.slice(r % paths.length), ...paths.slice(0, r % paths.length)]) {
        cat[p.name]!.setup_s.push((await timed(p, 'true')).total);
        const t = await timed(p, `cat ${file}`);
        if (t.bytes !== SIZE_MB * 1024 * 1024) throw new Error(`${p.name}: got ${t.bytes} bytes`);
        cat[p.name]!.total_s.push(t.total);
        cat[p.name]!.transfer_s.push(t.transfer);
      }
      process.stderr.write(`cat run ${r + 1}/${RUNS} done\n`);
    }

    const echo: Record<string, number[][]> = { direct: [], portcullis: [] };
    for (let r = 0; r < KEY_RUNS; r++) {
      for (const p of r % 2 === 0 ? echoPaths : [...echoPaths].reverse())
        echo[p.name]!.push(await keystrokes(p));
      process.stderr.write(`keystroke run ${r + 1}/${KEY_RUNS} done\n`);
    }
    load.end = os.loadavg();

    const mb = SIZE_MB * 1.048576; // MB (10^6 bytes) in SIZE_MB MiB
    const summary = Object.fromEntries(
      paths.map((p) => {
        const c = cat[p.name]!;
        const total = median(c.total_s);
        const transfer = median(c.transfer_s);
        const setup = median(c.setup_s);
        const runs = echo[p.name];
        const keysAll = runs?.flat() ?? [];
        return [
          p.name,
          {
            cat_median_s: round(total, 3),
            transfer_median_s: round(transfer, 3),
            setup_median_s: round(setup, 3),
            throughput_mb_s: round(mb / transfer, 1),
            end_to_end_mb_s: round(mb / total, 1),
            ...(runs
              ? {
                  echo_median_ms: round(median(keysAll), 3),
                  echo_p90_ms: round(percentile(keysAll, 90), 3),
                  echo_p99_ms: round(percentile(keysAll, 99), 3),
                  echo_run_medians_ms: runs.map((s) => round(median(s), 3)),
                }
              : {}),
          },
        ];
      }),
    );
    const d = summary.direct!;
    const g = summary.portcullis!;
    const peer = summary['openssh-relay'];
    const jump = summary['openssh-jump'];
    const result = {
      benchmark: 'ssh',
      date: new Date().toISOString(),
      preliminary: process.env.PRELIMINARY === '1',
      ...(process.env.NOTE ? { note: process.env.NOTE } : {}),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memory_gib: round(os.totalmem() / 2 ** 30, 1),
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        openssh: (await run('ssh', ['-V'])).stderr.trim(),
        loadavg: load,
      },
      method: {
        size_mib: SIZE_MB,
        client_cipher: CIPHER ?? 'OpenSSH default order (chacha20-poly1305 first)',
        proxy_ciphers: process.env.PROXY_CIPHERS ?? "ssh2's default list",
        runs: RUNS,
        keys_per_run: KEYS,
        key_runs: KEY_RUNS,
        cat: 'ssh -F /dev/null … host "cat FILE", stdout read and discarded by this process; throughput = size / (last byte - first byte); end_to_end = size / (spawn to exit); "ssh host true" timed as setup; direct and portcullis interleaved per run; medians',
        echo: 'ssh -tt into an interactive bash; alternately "x" and DEL written to ssh stdin, timed until the echo (x, or the backspace) arrives on ssh stdout; medians over all keys of all runs',
        placement:
          'one host, no CPU pinning: sshd, the ssh clients, the proxy (its own Node process) and this orchestrator share the cores',
        proxy_node_args: PROXY_NODE_ARGS.join(' '),
        openssh_relay: RELAY_PEER
          ? 'ssh host "ssh host cat FILE" to the same sshd: the inner ssh client decrypts the stream, the outer sshd encrypts it again; the same cipher option on both legs'
          : 'not run',
        openssh_jump: RELAY_PEER
          ? 'ssh -o ProxyCommand="ssh host -W %h:%p" host cat FILE, both to the same sshd: the bastion forwards the inner connection without decrypting it; the client decrypts twice'
          : 'not run',
        portcullis: `createSshProxy, ${process.env.POLICY === 'function' ? 'allow-all function evaluator' : 'rego/ without _test.rego compiled to wasm'}, subject kind human, no masks, no recording`,
      },
      summary,
      ratio: {
        throughput: round(g.throughput_mb_s / d.throughput_mb_s, 3),
        end_to_end: round(g.end_to_end_mb_s / d.end_to_end_mb_s, 3),
        echo_added_ms: round((g.echo_median_ms ?? 0) - (d.echo_median_ms ?? 0), 3),
        ...(peer
          ? {
              openssh_relay_throughput: round(peer.throughput_mb_s / d.throughput_mb_s, 3),
              portcullis_over_openssh_relay: round(g.throughput_mb_s / peer.throughput_mb_s, 3),
            }
          : {}),
        ...(jump
          ? {
              openssh_jump_throughput: round(jump.throughput_mb_s / d.throughput_mb_s, 3),
              portcullis_over_openssh_jump: round(g.throughput_mb_s / jump.throughput_mb_s, 3),
            }
          : {}),
      },
      paired: pairedRatios(cat),
      runs: {
        cat,
        echo_samples_ms: Object.fromEntries(
          Object.entries(echo).map(([k, v]) => [k, v.map((s) => s.map((x) => round(x, 3)))]),
        ),
      },
    };
    const out =
      process.env.OUT ?? join(repoRoot, 'benchmarks/ssh/results', `ssh-${result.date.slice(0, 10)}.json`);
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify({ summary, ratio: result.ratio }, null, 2)}\nwrote ${out}\n`);
  } finally {
    proxyChild.kill('SIGTERM');
    await sshd.stop();
    rmSync(keys, { recursive: true, force: true });
  }
}

await main();
