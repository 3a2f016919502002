import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { spawnSsh } from './support/ssh-client.js';

let fx: ProxyFixture;
beforeAll(async () => {
  fx = await startProxyFixture();
});
afterAll(async () => {
  await fx?.stop();
});

/** An interactive session: ssh -tt with keystrokes written to its stdin, as a terminal would send them. */
function terminal() {
  const child = spawnSsh(fx.user, ['-tt']);
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    type(keys: string) {
      child.stdin.write(keys);
    },
    get output() {
      return output;
    },
    async waitFor(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output.slice(from))) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async exit(): Promise<number | null> {
      child.stdin.write('exit\r');
      const timer = setTimeout(() => child.kill(), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

describe('interactive shell through a pty', () => {
  it('denies rm -rf / typed at the prompt, and the session goes on', async () => {
    const sentinel = join(fx.scratch, 'shell-keep-me');
    writeFileSync(sentinel, 'precious');
    const t = terminal();
    t.type('echo first-$((20+1))\r');
    await t.waitFor(/first-21/);

    let mark = t.output.length;
    t.type('rm -rf /\r');
    await t.waitFor(/portcullis: denied by policy/, mark);
    expect(t.output.slice(mark)).toContain('ssh.no_rm_root');

    // Edited with backspace and Ctrl-U, then a continuation line: still reconstructed.
    mark = t.output.length;
    t.type(`echo harmless\x7f\x7f\x15rm -rf \\\r${sentinel}\r`);
    await t.waitFor(/portcullis: denied by policy/, mark);

    // A bracketed paste with a newline inside is one line, decided on Enter.
    mark = t.output.length;
    t.type(`\x1b[200~echo pasted\rrm -rf ${sentinel}\x1b[201~\r`);
    await t.waitFor(/portcullis: denied by policy/, mark);

    // History recall cannot be followed: the line is refused, not guessed at.
    mark = t.output.length;
    t.type('\x1b[A\r');
    await t.waitFor(/portcullis\.untracked_line/, mark);

    mark = t.output.length;
    t.type('echo still-$((40+2))\r');
    await t.waitFor(/still-42/, mark);
    expect(existsSync(sentinel)).toBe(true);

    mark = t.output.length;
    t.type("printf '4111 1111 1111 1111\\n'\r");
    await t.waitFor(/\d{4}\r?\n/, mark);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.output.slice(mark)).not.toContain('4111 1111 1111 1111');

    expect(await t.exit()).toBe(0);
    expect(
      fx.audit.filter((r) => r.action.type === 'shell' && r.effect === 'deny').length,
    ).toBeGreaterThanOrEqual(3);
  });

  // The fixture's shells are masked (cards). The masker holds back the tail of the output that
  // could begin one: a prompt's trailing space and a number being typed waited for the next
  // output, which a program waiting at its prompt never sends.
  it('shows a prompt whole, and what is typed, though the output then stops', async () => {
    const t = terminal();
    await t.waitFor(/[#$] $/, 0, 5000);
    let mark = t.output.length;
    t.type('echo 4111');
    await t.waitFor(/echo 4111$/, mark, 5000);
    t.type(' 1111 1111 1111\r');
    await t.waitFor(/\*{12}1111\r\n/, mark, 5000);
    mark = t.output.length;
    t.type("read -p 'Card: ' c\r");
    await t.waitFor(/Card: $/, mark, 5000);
    t.type('x\r');
    expect(await t.exit()).toBe(0);
  });

  it('decides a line typed at a password prompt but writes it down nowhere', async () => {
    const secret = 'Tr0ub4dor-and-3';
    // The prompt itself, not the echo of the `read` line that contains the same word: bash
    // switches bracketed paste off (ESC [?2004l) once the line runs.
    const prompt = /\x1b\[\?2004l\r?Password:/;
    const before = fx.audit.length;
    const t = terminal();
    t.type('echo ready-$((1+1))\r');
    await t.waitFor(/ready-2/);
    let mark = t.output.length;
    t.type(`read -s -p 'Password: ' pw; echo; echo "len-\${#pw}"\r`);
    await t.waitFor(prompt, mark);
    t.type(`${secret}\r`);
    await t.waitFor(/len-15/, mark);

    // A secret the policy would refuse is still refused, and its text stays out of the reply.
    mark = t.output.length;
    t.type(`read -s -p 'Password: ' pw\r`);
    await t.waitFor(prompt, mark);
    t.type('rm -rf /\r');
    await t.waitFor(/portcullis: denied by policy/, mark);
    expect(await t.exit()).toBe(0);

    const written = JSON.stringify(fx.audit.slice(before));
    expect(written).not.toContain(secret);
    expect(written).not.toContain('rm -rf /');
    const scrubbed = fx.audit
      .slice(before)
      .filter((r) => r.action.summary.includes('typed at a password prompt'));
    expect(scrubbed.map((r) => r.effect).sort()).toEqual(['allow', 'deny']);
    expect(scrubbed.every((r) => r.action.fingerprints === undefined)).toBe(true);
  });
});
