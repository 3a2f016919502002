import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { connectSsh2, type SshResult, type SshTarget, sshArgs } from './support/ssh-client.js';

let fx: ProxyFixture;
let local: string;
beforeAll(async () => {
  fx = await startProxyFixture();
  local = mkdtempSync(join(tmpdir(), 'portcullis-sftp-local-'));
});
afterAll(async () => {
  await fx?.stop();
  rmSync(local, { recursive: true, force: true });
});

/** ssh's options as sftp/scp take them: everything before the destination, `-P` for the port. */
function clientOptions(target: SshTarget): string[] {
  const args = sshArgs(target);
  const options: string[] = [];
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i]!;
    if (a === '-p') options.push('-P', args[++i]!);
    else options.push(a);
  }
  return options;
}

function run(
  program: string,
  args: string[],
  stdin = '',
  onStderr?: (text: string) => void,
): Promise<SshResult> {
  const child = spawn(program, args, { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr);
  });
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Debian's sftp in batch mode: one command a line, stops at the first that fails. */
function sftp(commands: string[]): Promise<SshResult> {
  return run('sftp', [...clientOptions(fx.user), '-b', '-', 'alice@127.0.0.1'], `${commands.join('\n')}\n`);
}

function scp(args: string[]): Promise<SshResult> {
  return run('scp', [...clientOptions(fx.user), ...args]);
}

describe('sftp through the proxy', () => {
  it('puts and gets files of allowed paths', async () => {
    const source = join(local, 'upload.txt');
    const body = 'hello over sftp\n'.repeat(20_000);
    writeFileSync(source, body);
    const remote = join(fx.scratch, 'uploaded.txt');
    const back = join(local, 'downloaded.txt');
    const result = await sftp([`put ${source} ${remote}`, `ls -l ${fx.scratch}`, `get ${remote} ${back}`]);
    expect(result.stderr).not.toContain('portcullis');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('uploaded.txt');
    expect(readFileSync(remote, 'utf8')).toBe(body);
    expect(readFileSync(back, 'utf8')).toBe(body);
    const put = fx.audit.find((r) => r.action.type === 'file' && r.action.summary === `sftp write ${remote}`);
    expect(put).toMatchObject({ effect: 'allow', resource: { name: 'web-1' } });
    expect(fx.audit.some((r) => r.action.summary === `sftp list ${fx.scratch}/`)).toBe(true);
  });

  it('refuses an rm with a clear message and leaves the file', async () => {
    const keep = join(fx.scratch, 'sftp-keep-me');
    writeFileSync(keep, 'precious');
    const result = await sftp([`rm ${keep}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('portcullis: denied by policy');
    expect(result.stderr).toContain(`files.no_remove: removing ${keep} is not allowed`);
    expect(result.stderr).toMatch(/Permission denied/);
    expect(existsSync(keep)).toBe(true);
    const record = fx.audit.find((r) => r.action.summary === `sftp remove ${keep}`);
    expect(record).toMatchObject({ effect: 'deny', action: { type: 'file' } });
  });

  it('refuses a write the policy denies, and the session goes on', async () => {
    const source = join(local, 'ro.txt');
    writeFileSync(source, 'nope');
    const remote = join(fx.scratch, 'readonly.txt');
    const result = await sftp([`-put ${source} ${remote}`, `mkdir ${fx.scratch}/made-by-sftp`]);
    expect(result.stderr).toContain('files.readonly');
    expect(existsSync(remote)).toBe(false);
    expect(result.code).toBe(0);
    expect(existsSync(join(fx.scratch, 'made-by-sftp'))).toBe(true);
  });

  it('decides rename, symlink, chmod and rmdir', async () => {
    const from = join(fx.scratch, 'rename-me');
    writeFileSync(from, 'x');
    mkdirSync(join(fx.scratch, 'dir-to-keep'));
    const result = await sftp([
      `rename ${from} ${fx.scratch}/renamed`,
      `symlink ${fx.scratch}/renamed ${fx.scratch}/link`,
      `chmod 600 ${fx.scratch}/renamed`,
      `-rmdir ${fx.scratch}/dir-to-keep`,
    ]);
    expect(result.code).toBe(0);
    expect(readFileSync(join(fx.scratch, 'link'), 'utf8')).toBe('x');
    expect(existsSync(join(fx.scratch, 'dir-to-keep'))).toBe(true);
    const summaries = fx.audit.filter((r) => r.action.type === 'file').map((r) => r.action.summary);
    expect(summaries).toEqual(
      expect.arrayContaining([
        `sftp rename ${from} -> ${fx.scratch}/renamed`,
        `sftp symlink ${fx.scratch}/link -> ${fx.scratch}/renamed`,
        `sftp setstat ${fx.scratch}/renamed`,
        `sftp rmdir ${fx.scratch}/dir-to-keep`,
      ]),
    );
  });

  it('holds an operation for approval and performs it once a reviewer approves', async () => {
    const from = join(fx.scratch, 'to-be-held');
    writeFileSync(from, 'x');
    let voted = false;
    const result = await run(
      'sftp',
      [...clientOptions(fx.user), '-b', '-', 'alice@127.0.0.1'],
      `rename ${from} ${fx.scratch}/held-name\n`,
      (text) => {
        const id = /held for approval ([0-9a-f-]{36})/.exec(text)?.[1];
        if (id && !voted) {
          voted = true;
          void fx.store.vote(id, {
            reviewer: 'bob@example.com',
            reviewerGroups: ['ops'],
            decision: 'approve',
          });
        }
      },
    );
    expect(voted).toBe(true);
    expect(result.stderr).toContain('files.rename_needs_review');
    expect(result.code).toBe(0);
    expect(existsSync(join(fx.scratch, 'held-name'))).toBe(true);
    expect(existsSync(from)).toBe(false);
  });

  it('refuses a read whose decision carries masks it cannot apply', async () => {
    const remote = join(fx.scratch, 'secret.txt');
    writeFileSync(remote, '4111 1111 1111 1111\n');
    const result = await sftp([`get ${remote} ${join(local, 'secret.txt')}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('cannot be applied to a file transfer');
    expect(existsSync(join(local, 'secret.txt'))).toBe(false);
  });

  it('masks the names in a listing whose decision carries masks', async () => {
    const dir = join(fx.scratch, 'secret-cards');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'card 4111 1111 1111 1111.txt'), 'x');
    writeFileSync(join(dir, 'plain.txt'), 'x');
    const result = await sftp([`ls -1 ${dir}`, `ls -l ${dir}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('4111 1111 1111');
    expect(result.stdout).toMatch(/card \S*1111\.txt/);
    expect(result.stdout).toContain('plain.txt');
    // The same listing of a path without masks shows the name as it is.
    const open = join(fx.scratch, 'open-cards');
    mkdirSync(open, { recursive: true });
    writeFileSync(join(open, 'card 4111 1111 1111 1111.txt'), 'x');
    expect((await sftp([`ls -1 ${open}`])).stdout).toContain('card 4111 1111 1111 1111.txt');
  });

  it('masks the names realpath and readlink answer with as a listing of the path is masked', async () => {
    // OpenSSH's sftp prints neither answer, so ssh2's client asks (sshfs and IDEs do).
    const client = await connectSsh2(fx.user);
    try {
      const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) =>
        client.sftp((err, s) => (err ? reject(err) : resolve(s))),
      );
      const ask = (op: 'readlink' | 'realpath', path: string) =>
        new Promise<string>((resolve, reject) =>
          sftp[op](path, (err: Error | undefined, name: string) => (err ? reject(err) : resolve(name))),
        );
      const names = async (dir: string) => {
        mkdirSync(join(dir, '4111111111111111'), { recursive: true });
        symlinkSync(join(dir, '4111111111111111'), join(dir, 'latest'));
        return [await ask('readlink', join(dir, 'latest')), await ask('realpath', join(dir, 'latest'))];
      };
      const secret = join(fx.scratch, 'secret-links');
      for (const name of await names(secret)) {
        expect(name).not.toContain('4111111111111111');
        expect(name).toMatch(/secret-links\/\S*1111$/);
      }
      expect(fx.audit.some((r) => r.action.summary === `sftp list ${secret}/latest`)).toBe(true);
      // Where a listing has no masks, the names come as the host gave them.
      const open = join(fx.scratch, 'open-links');
      expect(await names(open)).toEqual([join(open, '4111111111111111'), join(open, '4111111111111111')]);
    } finally {
      client.end();
    }
  });
});

describe('scp through the proxy', () => {
  it('uploads and downloads over sftp (the OpenSSH 9 default)', async () => {
    const source = join(local, 'scp-up.bin');
    const body = Buffer.alloc(300_000, 7);
    writeFileSync(source, body);
    const remote = join(fx.scratch, 'scp-up.bin');
    expect(await scp([source, `alice@127.0.0.1:${remote}`])).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(remote).equals(body)).toBe(true);
    const back = join(local, 'scp-down.bin');
    expect(await scp([`alice@127.0.0.1:${remote}`, back])).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(back).equals(body)).toBe(true);
  });

  it('uploads and downloads with the legacy protocol (scp -O), decided as file operations', async () => {
    const source = join(local, 'legacy-up.txt');
    writeFileSync(source, 'legacy scp\n');
    const remote = join(fx.scratch, 'legacy-up.txt');
    const up = await scp(['-O', source, `alice@127.0.0.1:${remote}`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(readFileSync(remote, 'utf8')).toBe('legacy scp\n');
    const back = join(local, 'legacy-down.txt');
    expect((await scp(['-O', `alice@127.0.0.1:${remote}`, back])).code).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe('legacy scp\n');
    const summaries = fx.audit.filter((r) => r.action.type === 'file').map((r) => r.action.summary);
    expect(summaries).toEqual(expect.arrayContaining([`scp write ${remote}`, `scp read ${remote}`]));
  });

  it('copies a directory tree with the legacy protocol (scp -O -r)', async () => {
    const tree = join(fx.scratch, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'leaf.txt'), 'leaf\n');
    const back = join(local, 'tree-copy');
    const result = await scp(['-O', '-r', `alice@127.0.0.1:${tree}`, back]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(back, 'sub', 'leaf.txt'), 'utf8')).toBe('leaf\n');
    expect(fx.audit.some((r) => r.action.summary === `scp read ${tree}`)).toBe(true);
  });

  it('refuses a legacy scp upload the policy denies', async () => {
    const source = join(local, 'legacy-ro.txt');
    writeFileSync(source, 'nope\n');
    const remote = join(fx.scratch, 'readonly-legacy.txt');
    const result = await scp(['-O', source, `alice@127.0.0.1:${remote}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('files.readonly');
    expect(existsSync(remote)).toBe(false);
  });
});
