/**
 * CPU cost of the SSH proxy per MiB relayed, A/B: a short, noise-tolerant companion to ssh.ts
 * for working on the relay. Starts one throw-away sshd and one or two proxy processes
 * (proxy-server.ts: variant A, and variant B when B_ENV or B_NODE_ARGS is set), warms up, then
 * runs RUNS rounds; each round transfers `cat` of a SIZE_MB file through every variant (order
 * alternating, so load drift hits both alike) while each proxy measures the CPU time it used.
 * CPU time per MiB moves far less with the machine's load than wall-clock throughput does, but
 * on a shared machine it still varies by ±30% between runs: compare medians over several rounds,
 * and run an A/A pair (B_ENV=X=1) to see the noise floor.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/ssh/profile.ts
 *   B_NODE_ARGS=--initial-old-space-size=512 RUNS=6 SIZE_MB=100 node … benchmarks/ssh/profile.ts
 *
 * Settings (environment): SIZE_MB (200), RUNS (2), DIRECT=1 (also time direct transfers,
 * interleaved), CIPHER (`ssh -c`, all paths), PROXY_NODE_ARGS (node flags of the proxy processes,
 * space-separated; add --trace-gc to count GCs per 200 MiB, SHOW_GC=1 to print them),
 * B_NODE_ARGS and B_ENV (`K=V …`) for variant B, PROFILE_OUT (a .cpuprofile of variant A's
 * first transfer, and its top functions by self time), TOP (30), PERF_OUT (a `perf record` of
 * variant A during round PERF_RUN (0), for native, GC-thread and kernel time; PERF_G=1 for call
 * graphs), plus what proxy-server.ts reads (POLICY=function).
 * For every transfer it also reports the ssh client's and sshd's CPU seconds (pairwise), the rest
 * of the machine's CPU bill for moving the same bytes.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const RUNS = Number(process.env.RUNS ?? 2);
const CIPHER = process.env.CIPHER;
const TOP = Number(process.env.TOP ?? 30);

interface Path {
  name: string;
  port: number;
  user: string;
  identity: string;
}

/** Debian's ssh against one path, as the tests run it, with the benchmark's cipher. */
const sshArgs = (path: Path): string[] => clientArgs(path, CIPHER ? ['-c', CIPHER] : []);

/** CPU seconds of sshd's finished children (its per-connection processes), from /proc. */
function sshdChildrenCpu(sshdDir: string): number {
  const pid = readFileSync(join(sshdDir, 'sshd.pid'), 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // cutime and cstime are fields 16 and 17 of stat, 14 and 15 after the command name.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function transfer(
  path: Path,
  command: string,
  cpu?: { sshdDir: string; into: number[] },
): Promise<{ seconds: number; bytes: number }> {
  const timeFile = join(os.tmpdir(), `portcullis-profile-time-${process.pid}`);
  const sshdBefore = cpu ? sshdChildrenCpu(cpu.sshdDir) : 0;
  const child = cpu
    ? spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'ssh', ...sshArgs(path), command], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn('ssh', [...sshArgs(path), command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let first: bigint | undefined;
  let last = 0n;
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
  if (code !== 0) throw new Error(`${path.name}: ssh exited ${code}: ${stderr}`);
  if (cpu) {
    // sshd reaps its session process a moment after the client has gone.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpu.into.push(user! + sys!, sshdChildrenCpu(cpu.sshdDir) - sshdBefore);
  }
  return { seconds: first === undefined ? 0 : Number(last - first) / 1e9, bytes };
}

interface Variant {
  name: string;
  proxy: ChildProcess;
  port: number;
  lines: string[];
  waiter: (() => void) | undefined;
  gcs: Record<string, number>;
  window: boolean;
  cpu: number[];
  system: number[];
  seconds: number[];
  others: number[];
  maxRssMb: number;
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(' ')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

function nextLine(v: Variant): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy ${v.name} did not answer`)), 300_000);
    const check = () => {
      const line = v.lines.shift();
      if (line === undefined) return;
      clearTimeout(timer);
      v.waiter = undefined;
      resolve(line);
    };
    v.waiter = check;
    check();
  });
}

/** Self time per function of a .cpuprofile, as shares of all samples. */
function topFunctions(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    const url = frame?.url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '') ?? '';
    const key = `${frame?.functionName || '(anonymous)'} ${url ? `${url}:${(frame?.lineNumber ?? 0) + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, v]) =>
        `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1e3).toFixed(0).padStart(6)} ms  ${k}`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const sshd = await startSshd();
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-profile-ssh-'));
  const userKey = await generateKey(dir, 'user_key');
  const hostKey = await generateKey(dir, 'proxy_host_key');
  const operatorKey = join(dir, 'operator_key');
  writeFileSync(operatorKey, sshd.operatorKey, { mode: 0o600 });
  const file = join(dir, 'payload.bin');
  await run('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${SIZE_MB}`, 'status=none']);

  const userFingerprint = await fingerprintOf(`${userKey}.pub`);
  const variants: Variant[] = [
    await startProxy('A', process.env.PROXY_NODE_ARGS ?? '', {}),
    ...(process.env.B_ENV !== undefined || process.env.B_NODE_ARGS !== undefined
      ? [
          await startProxy(
            'B',
            process.env.B_NODE_ARGS ?? process.env.PROXY_NODE_ARGS ?? '',
            parseEnv(process.env.B_ENV ?? ''),
          ),
        ]
      : []),
  ];

  async function startProxy(name: string, nodeArgs: string, env: Record<string, string>): Promise<Variant> {
    const extra = nodeArgs.split(' ').filter(Boolean);
    const proxy = spawn(
      process.execPath,
      [
        ...extra,
        '--conditions=portcullis-source',
        '--import',
        'tsx',
        join(repoRoot, 'benchmarks/ssh/proxy-server.ts'),
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          ...env,
          UPSTREAM_PORT: String(sshd.port),
          UPSTREAM_KEY: operatorKey,
          UPSTREAM_FINGERPRINT: sshd.hostKeyFingerprint,
          HOST_KEY: hostKey,
          USER_FINGERPRINT: userFingerprint,
          // Only variant A is profiled.
          ...(name === 'A' ? {} : { PROFILE_OUT: '' }),
        },
      },
    );
    const v: Variant = {
      waiter: undefined,
      name,
      proxy,
      lines: [],
      gcs: {},
      window: false,
      cpu: [],
      system: [],
      seconds: [],
      others: [],
      maxRssMb: 0,
      port: 0,
    };
    let buffered = '';
    proxy.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        // --trace-gc (in the node args) prints to stdout too: count, not parse.
        if (line.startsWith('{')) v.lines.push(line);
        else if (v.window && process.env.SHOW_GC) process.stderr.write(`${name} ${line}\n`);
        if (v.window)
          for (const kind of ['Scavenge', 'Mark-Compact'])
            if (line.includes(kind)) v.gcs[kind] = (v.gcs[kind] ?? 0) + 1;
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
      v.waiter?.();
    });
    v.port = (JSON.parse(await nextLine(v)) as { port: number }).port;
    return v;
  }

  try {
    const direct: Path = { name: 'direct', port: sshd.port, user: 'root', identity: operatorKey };
    const pathOf = (v: Variant): Path => ({ name: v.name, port: v.port, user: 'bench', identity: userKey });
    for (const v of variants) await transfer(pathOf(v), `head -c 50000000 ${file}`);
    if (process.env.DIRECT === '1') await transfer(direct, `head -c 50000000 ${file}`);

    const directSeconds: number[] = [];
    const directOthers: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      // Variants alternate, in a changing order, so drift in the machine's load hits all alike.
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      if (process.env.DIRECT === '1' && r % 2 === 1)
        directSeconds.push(
          (await transfer(direct, `cat ${file}`, { sshdDir: sshd.dir, into: directOthers })).seconds,
        );
      for (const v of order) {
        // Only the proxied transfer is inside the window, so the CPU counted is its alone.
        v.proxy.kill('SIGUSR2');
        await nextLine(v);
        v.window = true;
        // PERF_OUT: native and kernel time too, which the V8 profile cannot split (variant A only).
        const perf =
          process.env.PERF_OUT && v.name === 'A' && r === Number(process.env.PERF_RUN ?? 0)
            ? spawn(
                'perf',
                [
                  'record',
                  '-q',
                  ...(process.env.PERF_G ? ['-g'] : []),
                  '-F',
                  '1999',
                  '-p',
                  String(v.proxy.pid),
                  '-o',
                  process.env.PERF_OUT,
                ],
                { stdio: 'ignore' },
              )
            : undefined;
        const t = await transfer(pathOf(v), `cat ${file}`, { sshdDir: sshd.dir, into: v.others });
        if (perf) {
          perf.kill('SIGINT');
          await new Promise((resolve) => perf.once('close', resolve));
        }
        v.window = false;
        v.proxy.kill('SIGUSR2');
        const m = JSON.parse(await nextLine(v)) as { cpu_us: number; system_us: number; max_rss_mb: number };
        v.maxRssMb = m.max_rss_mb;
        if (t.bytes !== SIZE_MB * 2 ** 20) throw new Error(`${v.name}: got ${t.bytes} bytes`);
        v.seconds.push(t.seconds);
        v.cpu.push(m.cpu_us / 1e6);
        v.system.push(m.system_us / 1e6);
      }
      if (process.env.DIRECT === '1' && r % 2 === 0)
        directSeconds.push(
          (await transfer(direct, `cat ${file}`, { sshdDir: sshd.dir, into: directOthers })).seconds,
        );
    }
    const per200 = (x: number) => (x / SIZE_MB) * 200;
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const result = {
      variants: Object.fromEntries(
        variants.map((v) => [
          v.name,
          {
            proxy_cpu_s_per_200mib_median: Number(per200(median(v.cpu)).toFixed(3)),
            proxy_cpu_s_per_200mib_runs: fmt(v.cpu.map(per200)),
            of_which_system: Number((sum(v.system) / sum(v.cpu)).toFixed(2)),
            ...(Object.keys(v.gcs).length
              ? {
                  gcs_per_200mib: Object.fromEntries(
                    Object.entries(v.gcs).map(([k, n]) => [
                      k,
                      Number(((n / (SIZE_MB * RUNS)) * 200).toFixed(1)),
                    ]),
                  ),
                }
              : {}),
            transfer_s: fmt(v.seconds),
            proxy_max_rss_mb: v.maxRssMb,
            ssh_and_sshd_cpu_s: fmt(v.others),
          },
        ]),
      ),
      ...(directSeconds.length
        ? { direct: { transfer_s: fmt(directSeconds), ssh_and_sshd_cpu_s: fmt(directOthers) } }
        : {}),
      loadavg: os.loadavg().map((x) => x.toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
    if (process.env.PROFILE_OUT) process.stdout.write(`${topFunctions(process.env.PROFILE_OUT, TOP)}\n`);
  } finally {
    for (const v of variants) v.proxy.kill('SIGTERM');
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
