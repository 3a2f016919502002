import { describe, expect, it } from 'vitest';
import { codeSource, isInterpreter, isShell } from './interpreters.js';
import { staticWord } from './word-normalise.js';

const source = (program: string, ...args: string[]) => codeSource(program, args.map(staticWord));

describe('codeSource', () => {
  it('finds a shell -c string and the options before it', () => {
    const found = source('bash', '-x', '-o', 'pipefail', '-c', 'rm x', 'argv0');
    expect(found.kind).toBe('code');
    expect(found.kind === 'code' && found.code.map((w) => w.value)).toEqual(['rm x']);
  });

  it('tells stdin from a script file', () => {
    expect(source('sh').kind).toBe('stdin');
    expect(source('bash', '-s', '--', 'a').kind).toBe('stdin');
    expect(source('bash', 'deploy.sh').kind).toBe('file');
    expect(source('python3', '-').kind).toBe('stdin');
    expect(source('python3', '-m', 'http.server').kind).toBe('file');
  });

  it('finds inline code in interpreter option clusters', () => {
    const perl = source('perl', '-lane', 'print');
    expect(perl.kind === 'code' && perl.code[0]?.value).toBe('print');
    const node = source('node', '--eval', 'x()');
    expect(node.kind === 'code' && node.code[0]?.value).toBe('x()');
    const pwsh = source('pwsh', '-NoProfile', '-Command', 'Remove-Item', '-Recurse', 'C:\\');
    expect(pwsh.kind).toBe('code');
  });

  it('knows shells and interpreters by name', () => {
    expect(isShell('dash')).toBe(true);
    expect(isShell('python3')).toBe(false);
    expect(isInterpreter('python3.12')).toBe(true);
    expect(isInterpreter('grep')).toBe(false);
    expect(source('grep', '-e', 'x').kind).toBe('none');
  });
});
