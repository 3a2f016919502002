import { describe, expect, it } from 'vitest';
import { staticWord } from './word-normalise.js';
import { isWrapper, unwrap } from './wrappers.js';

const run = (program: string, ...args: string[]) => unwrap(program, args.map(staticWord));
const innerWords = (program: string, ...args: string[]) =>
  run(program, ...args)?.inner.map((i) =>
    i.kind === 'command' ? i.words.map((w) => w.value) : i.code.value,
  );

describe('unwrap', () => {
  it('skips sudo options and takes its assignments', () => {
    const out = run('sudo', '-u', 'root', '-E', 'A=1', 'rm', '-rf', '/');
    expect(out?.ownArgs.map((w) => w.value)).toEqual(['-u', 'root', '-E']);
    expect(out?.inner).toMatchObject([{ kind: 'command', label: 'sudo', assignments: { A: '1' } }]);
    expect(innerWords('sudo', '-u', 'root', '-E', 'A=1', 'rm', '-rf', '/')).toEqual([['rm', '-rf', '/']]);
  });

  it('skips the duration of timeout and the new root of chroot', () => {
    expect(innerWords('timeout', '-s', 'KILL', '5s', 'rm', 'x')).toEqual([['rm', 'x']]);
    expect(innerWords('chroot', '/mnt', 'rm', 'x')).toEqual([['rm', 'x']]);
  });

  it('runs nothing for lookups and listings', () => {
    expect(run('command', '-v', 'rm')?.inner).toEqual([]);
    expect(run('sudo', '-l')?.inner).toEqual([]);
    expect(run('ionice', '-p', '123')?.inner).toEqual([]);
  });

  it('splits find into its -exec commands', () => {
    expect(innerWords('find', '.', '-exec', 'rm', '{}', ';', '-exec', 'echo', '{}', '+')).toEqual([
      ['rm', '{}'],
      ['echo', '{}'],
    ]);
  });

  it('joins eval and watch words into shell text', () => {
    expect(innerWords('eval', 'rm', '-rf', '/')).toEqual(['rm -rf /']);
    expect(innerWords('watch', '-n', '1', 'ls', '|', 'wc')).toEqual(['ls | wc']);
  });

  it('reads su -c after the user name', () => {
    expect(run('su', '-', 'root', '-c', 'id')?.inner).toMatchObject([{ kind: 'script', label: 'su -c' }]);
  });

  it('is not a wrapper for ordinary programs', () => {
    expect(isWrapper('rm')).toBe(false);
    expect(run('rm', '-rf', '/')).toBeUndefined();
    expect(isWrapper('bash')).toBe(true);
  });
});
