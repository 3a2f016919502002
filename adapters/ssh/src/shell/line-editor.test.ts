import { describe, expect, it } from 'vitest';
import { continuesLine, type EditorEvent, LineEditor } from './line-editor.js';

function enters(keys: string | Buffer, editor = new LineEditor()): Extract<EditorEvent, { kind: 'enter' }>[] {
  return editor.feed(Buffer.isBuffer(keys) ? keys : Buffer.from(keys)).filter((e) => e.kind === 'enter');
}

function forwarded(keys: string): string {
  return new LineEditor()
    .feed(Buffer.from(keys))
    .filter((e) => e.kind === 'forward')
    .map((e) => (e as { bytes: Buffer }).bytes.toString())
    .join('');
}

describe('LineEditor', () => {
  it('reconstructs a typed line and holds back only the Enter', () => {
    expect(enters('ls -la\r')).toMatchObject([{ line: 'ls -la', tracked: true }]);
    expect(forwarded('ls -la\rpwd')).toBe('ls -lapwd');
  });

  it('follows backspace, Ctrl-U, Ctrl-W, Ctrl-K and cursor keys', () => {
    expect(enters('echo hi\x7f\x7fbye\r')[0]?.line).toBe('echo bye');
    expect(enters('echo safe\x15rm -rf /\r')[0]?.line).toBe('rm -rf /');
    expect(enters('rm -rf /tmp/x\x17/\r')[0]?.line).toBe('rm -rf /');
    expect(enters('rm -rf / ok\x1b[D\x1b[D\x1b[D\x0b\r')[0]?.line).toBe('rm -rf /');
    expect(enters('m -rf /\x01r\r')[0]?.line).toBe('rm -rf /');
    expect(enters('xrm -rf /\x1b[H\x1b[3~\r')[0]?.line).toBe('rm -rf /');
  });

  it('keeps a bracketed paste, newlines included, as one line', () => {
    expect(enters('\x1b[200~echo a\rrm -rf /\x1b[201~\r')).toMatchObject([{ line: 'echo a\nrm -rf /' }]);
  });

  it('marks lines edited with history or completion as untracked', () => {
    expect(enters('\x1b[A\r')[0]?.tracked).toBe(false);
    expect(enters('rm -rf /us\t\r')[0]?.tracked).toBe(false);
    expect(enters('\x12rm\r')[0]?.tracked).toBe(false);
    const editor = new LineEditor();
    enters('\x1b[A\r', editor);
    expect(enters('ls\r', editor)[0]?.tracked).toBe(true);
  });

  it('drops the line on Ctrl-C and forwards the Ctrl-C', () => {
    const editor = new LineEditor();
    const events = editor.feed(Buffer.from('rm -rf \x03ls\r'));
    expect(events.map((e) => e.kind)).toEqual(['forward', 'interrupt', 'forward', 'enter']);
    expect(events.at(-1)).toMatchObject({ line: 'ls' });
  });

  it('follows multi-byte characters split across chunks, and never lets an Enter through in invalid UTF-8', () => {
    const editor = new LineEditor();
    const bytes = Buffer.from('echo é\r');
    expect(enters(bytes.subarray(0, 6), editor)).toEqual([]);
    expect(enters(bytes.subarray(6), editor)[0]?.line).toBe('echo é');
    const invalid = Buffer.concat([Buffer.from([0xff, 0xc3]), Buffer.from('\rrm\r')]);
    const events = new LineEditor().feed(invalid);
    const raw = events
      .filter((e) => e.kind === 'forward')
      .map((e) => (e as { bytes: Buffer }).bytes)
      .reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0));
    expect(raw.includes(0x0d)).toBe(false);
    expect(events.filter((e) => e.kind === 'enter')).toHaveLength(2);
  });
});

describe('continuesLine', () => {
  it('is true for an odd number of trailing backslashes outside a comment', () => {
    expect(continuesLine('rm -rf \\')).toBe(true);
    expect(continuesLine('echo \\\\')).toBe(false);
    expect(continuesLine('echo \\\\\\')).toBe(true);
    expect(continuesLine('rm -rf / # \\')).toBe(false);
    expect(continuesLine('ls')).toBe(false);
  });
});
