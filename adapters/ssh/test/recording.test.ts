import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryRecordings, type RecordingInfo } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { connectSsh2, spawnSsh } from './support/ssh-client.js';

let fx: ProxyFixture;
let dir: string;
const infos: RecordingInfo[] = [];
const closed: Promise<void>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-recordings-'));
  const files = directoryRecordings(dir);
  fx = await startProxyFixture({
    recording: {
      shell: '/bin/bash',
      async open(info) {
        infos.push(info);
        const writer = await files(info);
        let done!: () => void;
        closed.push(new Promise((resolve) => (done = resolve)));
        return {
          write: (line) => writer.write(line),
          close: () => writer.close().finally(done),
        };
      },
    },
  });
});
afterAll(async () => {
  await fx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Feed `chunks` to a headless xterm of the given size and return its screen: lines and cursor. */
async function screen(cols: number, rows: number, chunks: (string | Buffer)[]): Promise<string[]> {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
  for (const chunk of chunks) {
    await new Promise<void>((resolve) => term.write(chunk, resolve));
  }
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(buffer.getLine(buffer.baseY + i)?.translateToString(true) ?? '');
  lines.push(`cursor ${buffer.cursorX},${buffer.cursorY}`);
  term.dispose();
  return lines;
}

describe('session recording', () => {
  it('records a shell in asciicast v2 that replays to the screen the client saw, without the secrets typed blind', async () => {
    const child = spawnSsh(fx.user, ['-tt']);
    const raw: Buffer[] = [];
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      raw.push(d);
      text += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const waitFor = async (pattern: RegExp, from: number) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(text.slice(from))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    const type = async (keys: string, until: RegExp) => {
      const mark = text.length;
      child.stdin.write(keys);
      await waitFor(until, mark);
    };

    await type('echo first-$((20+1))\r', /first-21/);
    await type("printf '\\033[1;31mred\\033[0m \\033[7mreverse\\033[0m tab\\there\\n'\r", /here/);
    await type('rm -rf /\r', /portcullis: denied by policy/);
    // A sudo -S style prompt: the password is typed at a prompt that does not echo.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    await type("read -s -p 'Password: ' pw; echo; echo got-${#pw}\r", /Password:/);
    await type('hunter2-SECRET\r', /got-14/);
    // No prompt at all: echo is simply off, and the proxy sees that nothing comes back.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    await type('stty -echo; read pw2; stty echo; echo len-${#pw2}\r', /stty echo; echo len-\$\{#pw2\}\r\n/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await type('blindly-TYPED-words\r', /len-19/);
    await type("printf '4111 1111 1111 1111\\n'\r", /\d{4}\r?\n/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin.write('exit\r');
    expect(await exited).toBe(0);
    await Promise.all(closed);

    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({
      kind: 'shell',
      channel: 1,
      subject: 'alice@example.com',
      resource: 'web-1',
    });
    const files = readdirSync(dir);
    expect(files).toEqual([`${infos[0]?.sessionId}-1.cast`]);
    const lines = readFileSync(join(dir, files[0]!), 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as {
      version: number;
      width: number;
      height: number;
      env: Record<string, string>;
    };
    expect(header).toMatchObject({ version: 2, env: { SHELL: '/bin/bash' } });
    expect(header.env.TERM).toBeTruthy();
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    const times = events.map(([t]) => t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // Neither secret is anywhere in the recording: not as input, not in a marker.
    const whole = lines.join('\n');
    expect(whole).not.toContain('hunter2');
    expect(whole).not.toContain('SECRET');
    expect(whole).not.toContain('blindly');
    expect(whole).not.toContain('4111 1111 1111 1111');

    // Typed input that was echoed is there; decisions are markers.
    const input = events
      .filter(([, c]) => c === 'i')
      .map(([, , d]) => d)
      .join('');
    expect(input).toContain('echo first-$((20+1))');
    const markers = events.filter(([, c]) => c === 'm').map(([, , d]) => d);
    expect(markers).toEqual(
      expect.arrayContaining([
        'allow shell',
        'deny rm -rf /',
        'allow echo first-$((20+1))',
        'allow [input not echoed]',
      ]),
    );

    // Replayed into a terminal, the output events draw what the client's terminal drew.
    const output = events.filter(([, c]) => c === 'o').map(([, , d]) => d);
    const width = header.width;
    const height = header.height;
    const replayed = await screen(width, height, output);
    const seen = await screen(width, height, raw);
    expect(replayed).toEqual(seen);
    expect(seen.join('\n')).toContain('len-19');
  });

  it('records a pty exec with its decision, and window changes as resize events', async () => {
    const before = infos.length;
    const exec = spawnSsh(fx.user, ['-tt'], 'echo exec-$((3*5))');
    let out = '';
    exec.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await new Promise((resolve) => exec.once('close', resolve))).toBe(0);
    expect(out).toContain('exec-15');

    // A client that resizes its window: ssh2's, since ssh sends window changes only from a tty.
    const client = await connectSsh2(fx.user);
    const shell = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
      client.shell({ term: 'xterm-256color', rows: 30, cols: 100 }, (err, ch) =>
        err ? reject(err) : resolve(ch),
      ),
    );
    let shown = '';
    shell.on('data', (d: Buffer) => {
      shown += d.toString();
    });
    shell.write('echo sized-$((2+2))\r');
    while (!shown.includes('sized-4')) await new Promise((resolve) => setTimeout(resolve, 25));
    shell.setWindow(40, 120, 0, 0);
    shell.write('exit\r');
    await new Promise((resolve) => shell.once('close', resolve));
    client.end();
    await Promise.all(closed);

    const mine = infos.slice(before);
    expect(mine.map((i) => i.kind)).toEqual(['exec', 'shell']);
    expect(mine[0]).toMatchObject({ command: 'echo exec-$((3*5))', channel: 1 });
    const read = (info: RecordingInfo) =>
      readFileSync(join(dir, `${info.sessionId}-${info.channel}.cast`), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
    const execCast = read(mine[0]!);
    expect(execCast.slice(1)).toEqual(
      expect.arrayContaining([[expect.any(Number), 'm', 'allow echo exec-$((3*5))']]),
    );
    expect(
      (execCast.slice(1) as [number, string, string][])
        .filter(([, c]) => c === 'o')
        .map(([, , d]) => d)
        .join(''),
    ).toContain('exec-15');
    const shellCast = read(mine[1]!);
    expect(shellCast[0]).toMatchObject({
      version: 2,
      width: 100,
      height: 30,
      env: { TERM: 'xterm-256color' },
    });
    expect(shellCast.slice(1)).toEqual(expect.arrayContaining([[expect.any(Number), 'r', '120x40']]));
  });
});
