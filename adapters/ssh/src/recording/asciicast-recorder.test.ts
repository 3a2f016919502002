import { afterEach, describe, expect, it, vi } from 'vitest';
import { AsciicastRecorder, type RecordingWriter } from './asciicast-recorder.js';

function memory(): RecordingWriter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (l) => lines.push(l), close: async () => {} };
}

const events = (w: { lines: string[] }) =>
  w.lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);

afterEach(() => {
  vi.useRealTimers();
});

describe('AsciicastRecorder', () => {
  it('writes a v2 header and output, resize and marker events in time order', async () => {
    const w = memory();
    const r = new AsciicastRecorder(w, { width: 100, height: 30, env: { TERM: 'xterm-256color' } });
    r.output(Buffer.from('hello ', 'utf8'));
    // A character split across chunks is one character in the recording.
    r.output(Buffer.from([0xe2, 0x82]));
    r.output(Buffer.from([0xac]));
    r.resize(120, 40);
    r.marker('deny rm -rf /');
    await r.close();
    expect(JSON.parse(w.lines[0]!)).toMatchObject({
      version: 2,
      width: 100,
      height: 30,
      env: { TERM: 'xterm-256color' },
    });
    expect(events(w).map(([, c, d]) => [c, d])).toEqual([
      ['o', 'hello '],
      ['o', '€'],
      ['r', '120x40'],
      ['m', 'deny rm -rf /'],
    ]);
    const times = events(w).map(([t]) => t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('keeps echoed input and drops input that is never echoed', async () => {
    const w = memory();
    const r = new AsciicastRecorder(w, { width: 80, height: 24, env: {}, echoWindowMs: 30 });
    r.input(Buffer.from('ls'));
    r.output(Buffer.from('l\x1b[1ms'));
    r.input(Buffer.from('\r'));
    r.output(Buffer.from('\r\nfile\r\n$ '));
    r.input(Buffer.from('typed-blind'));
    await new Promise((resolve) => setTimeout(resolve, 80));
    r.output(Buffer.from('later'));
    await r.close();
    const text = w.lines.join('\n');
    expect(text).not.toContain('typed-blind');
    expect(events(w).map(([, c, d]) => [c, d])).toEqual([
      ['i', 'ls'],
      ['o', 'l\x1b[1ms'],
      ['i', '\r'],
      ['o', '\r\nfile\r\n$ '],
      ['o', 'later'],
    ]);
  });

  it('drops everything typed at a password prompt up to its Enter, echoed or not', async () => {
    const w = memory();
    const r = new AsciicastRecorder(w, { width: 80, height: 24, env: {} });
    r.output(Buffer.from('[sudo] password for alice: '));
    expect(r.secret).toBe(true);
    r.input(Buffer.from('hunter2'));
    r.output(Buffer.from('hunter2'));
    r.input(Buffer.from('\r'));
    expect(r.secret).toBe(false);
    r.output(Buffer.from('\r\n$ '));
    expect(events(w).filter(([, c]) => c === 'i')).toEqual([]);
    r.lineMarker('allow', 'hunter2');
    r.input(Buffer.from('ls'));
    r.output(Buffer.from('ls'));
    r.lineMarker('allow', 'ls');
    await r.close();
    // The secret line's marker does not name it; the next line, echoed, is named.
    expect(
      events(w)
        .filter(([, c]) => c === 'm')
        .map(([, , d]) => d),
    ).toEqual(['allow [input not echoed]', 'allow ls']);
  });

  it('takes only the line the cursor waits on for a prompt', async () => {
    const w = memory();
    const r = new AsciicastRecorder(w, { width: 80, height: 24, env: {} });
    r.output(Buffer.from('log: reset password: done\r\n$ '));
    expect(r.secret).toBe(false);
    r.output(Buffer.from('\x1b[1mEnter passphrase for key /root/.ssh/id_ed25519:\x1b[0m '));
    expect(r.secret).toBe(true);
    await r.close();
  });

  it('holds output behind unconfirmed input so times never go backwards', async () => {
    const w = memory();
    const r = new AsciicastRecorder(w, { width: 80, height: 24, env: {}, echoWindowMs: 50 });
    r.input(Buffer.from('x'));
    r.output(Buffer.from('unrelated'));
    r.marker('allow x');
    r.output(Buffer.from('x'));
    await r.close();
    const evs = events(w);
    expect(evs.map(([, c, d]) => [c, d])).toEqual([
      ['i', 'x'],
      ['o', 'unrelated'],
      ['m', 'allow x'],
      ['o', 'x'],
    ]);
  });
});
