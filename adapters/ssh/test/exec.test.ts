import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { ssh } from './support/ssh-client.js';

let fx: ProxyFixture;
beforeAll(async () => {
  fx = await startProxyFixture();
});
afterAll(async () => {
  await fx?.stop();
});

describe('exec through the proxy', () => {
  it('runs an allowed command on the host', async () => {
    const result = await ssh(fx.user, 'echo hello; whoami');
    expect(result).toMatchObject({ code: 0, stdout: 'hello\nroot\n' });
  });

  it('denies rm -rf / with exit status 126 and the reasons on stderr', async () => {
    const result = await ssh(fx.user, 'rm -rf /');
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('portcullis: denied by policy');
    expect(result.stderr).toContain('ssh.no_rm_root: removing / or protected files is not allowed');
  });

  it('leaves the host untouched when a removal is denied', async () => {
    const sentinel = join(fx.scratch, 'keep-me');
    writeFileSync(sentinel, 'precious');
    const result = await ssh(fx.user, `rm -rf ${sentinel}`);
    expect(result.code).toBe(126);
    expect(existsSync(sentinel)).toBe(true);
  });

  it('denies rm -rf / hidden behind sudo bash -c', async () => {
    const result = await ssh(fx.user, 'sudo bash -c "rm -rf /"');
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('ssh.no_rm_root');
  });

  it('propagates exit statuses', async () => {
    expect((await ssh(fx.user, 'exit 3')).code).toBe(3);
    expect((await ssh(fx.user, 'false')).code).toBe(1);
    const both = await ssh(fx.user, 'echo out; echo err >&2; exit 7');
    expect(both).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('pipes stdin to the command', async () => {
    const result = await ssh(fx.user, 'cat', { stdin: 'data\nmore data\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'data\nmore data\n' });
  });

  it('relays a large stdin and stdout with backpressure', async () => {
    const big = 'x'.repeat(1023) + '\n';
    const input = big.repeat(8 * 1024);
    const result = await ssh(fx.user, 'cat; printf done', { stdin: input });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(input.length + 4);
    expect(result.stdout.endsWith('done')).toBe(true);
  });

  it('masks a card number the host prints', async () => {
    const result = await ssh(fx.user, "printf '4111 1111 1111 1111\\n'");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('4111 1111 1111 1111');
    expect(result.stdout).toMatch(/1111\n$/);
  });

  it('masks a card number grep prints in colour, and keeps the colour sequences whole', async () => {
    // Debian's grep: the match is wrapped in ESC[01;31mESC[K … ESC[mESC[K, which splits the number.
    const result = await ssh(fx.user, "printf '4111 1111 1111 1111\\n' | grep --color=always 4111");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('\x1b[01;31m\x1b[K****\x1b[m\x1b[K***********1111\n');
  });

  it('withholds output in UTF-16, where no detector would see the card number', async () => {
    const result = await ssh(
      fx.user,
      "printf 'card 4111 1111 1111 1111\\n' | iconv -t UTF-16LE; sleep 0.3; echo after",
    );
    expect(result.stdout).not.toContain('4\u00001\u00001\u00001');
    expect(result.stdout).toContain('[portcullis: output withheld');
    expect(result.stdout).toContain('after');
  });

  it('masks a card number split across packets', async () => {
    const result = await ssh(
      fx.user,
      "printf '4111 1111 '; sleep 0.3; printf '1111 1111\\n' >&1; printf '5500 0000 ' >&2; sleep 0.3; printf '0000 0004\\n' >&2",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/4111 1111 1111/);
    expect(result.stdout).toMatch(/1111\n$/);
    expect(result.stderr).not.toMatch(/5500 0000 0000/);
    expect(result.stderr).toMatch(/0004\n$/);
  });

  it('holds a command for approval and runs it once a reviewer approves', async () => {
    const file = join(fx.scratch, 'approved-file');
    let approved = false;
    const result = await ssh(fx.user, `touch ${file} && echo created`, {
      onStderr: (text) => {
        const id = /held for approval ([0-9a-f-]{36})/.exec(text)?.[1];
        if (id && !approved) {
          approved = true;
          void fx.store.vote(id, {
            reviewer: 'bob@example.com',
            reviewerGroups: ['ops'],
            decision: 'approve',
          });
        }
      },
    });
    expect(approved).toBe(true);
    expect(result.stderr).toContain('ssh.touch_needs_review: creating files needs an operator');
    expect(result).toMatchObject({ code: 0, stdout: 'created\n' });
    expect(existsSync(file)).toBe(true);
  });

  it('refuses a held command a reviewer denies, with exit status 126', async () => {
    const file = join(fx.scratch, 'denied-file');
    let voted = false;
    const result = await ssh(fx.user, `touch ${file}`, {
      onStderr: (text) => {
        const id = /held for approval ([0-9a-f-]{36})/.exec(text)?.[1];
        if (id && !voted) {
          voted = true;
          void fx.store.vote(id, { reviewer: 'bob@example.com', reviewerGroups: ['ops'], decision: 'deny' });
        }
      },
    });
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(/not run: approval [0-9a-f-]{36} was denied by a reviewer/);
    expect(existsSync(file)).toBe(false);
  });

  it('keeps a password the command passes out of the approval request and the audit log', async () => {
    const file = join(fx.scratch, 'never-created');
    let id: string | undefined;
    const result = await ssh(fx.user, `touch ${file} && curl -s -u ops:Ssh-pw-95 http://127.0.0.1:9/`, {
      onStderr: (text) => {
        const held = /held for approval ([0-9a-f-]{36})/.exec(text)?.[1];
        if (held && !id) {
          id = held;
          void fx.store.vote(held, {
            reviewer: 'bob@example.com',
            reviewerGroups: ['ops'],
            decision: 'deny',
          });
        }
      },
    });
    expect(result.code).toBe(126);
    const request = await fx.store.get(id as string);
    expect(request?.summary).toBe(`touch ${file} && curl -s -u ops:[REDACTED] http://127.0.0.1:9/`);
    expect(JSON.stringify(fx.audit)).not.toContain('Ssh-pw-95');
    expect(fx.audit.some((r) => r.action.summary === request?.summary)).toBe(true);
  });

  it('audits every decision with the command line', async () => {
    await ssh(fx.user, 'echo audited-line');
    const record = fx.audit.find((r) => r.action.summary === 'echo audited-line');
    expect(record).toMatchObject({
      effect: 'allow',
      subject: { id: 'alice@example.com' },
      resource: { type: 'ssh', name: 'web-1' },
      action: { type: 'exec' },
    });
  });
});

describe('authentication', () => {
  it('rejects a key that maps to no identity', async () => {
    const result = await ssh(fx.stranger, 'echo should-not-run');
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });
});
