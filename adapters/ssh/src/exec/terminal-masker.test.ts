import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { TerminalMasker } from './terminal-masker.js';

const CARD = '4111 1111 1111 1111';
const masker = createMasker({
  rules: [
    { detector: 'credit_card', strategy: 'partial', keep: 4 },
    { detector: 'email', strategy: 'redact' },
  ],
});

/** Masks `text` written in pieces of `size` characters (all at once when 0). */
function mask(text: string, size = 0): string {
  const m = new TerminalMasker(masker);
  let out = '';
  if (size === 0) out += m.write(text);
  else for (let i = 0; i < text.length; i += size) out += m.write(text.slice(i, i + size));
  return out + m.end();
}

/** What a terminal shows: the text without its CSI and other escape sequences. */
const shown = (text: string) =>
  text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[ -/]*[0-~]/g, '');
const sequences = (text: string) =>
  text.match(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[ -/]*[0-~]/g) ?? [];

const GREP_CARD = `\x1b[01;31m\x1b[K4111\x1b[m\x1b[K 1111 1111 1111\n`;
const GREP_EMAIL = `mail: \x1b[01;31m\x1b[Kada\x1b[m\x1b[K@example.com\n`;

describe('TerminalMasker.settle (output paused)', () => {
  it('releases a prompt held back, and masks what follows as before', () => {
    const m = new TerminalMasker(masker);
    const prompt = '\x1b[?2004halice@web-1:~$ ';
    let out = m.write(prompt);
    expect(out).not.toBe(prompt);
    expect(m.holding).toBe(true);
    out += m.settle();
    expect(out).toBe(prompt);
    expect(m.holding).toBe(false);
    expect(m.write(`cat card\r\n${CARD}\r\n`) + m.end()).toBe('cat card\r\n***************1111\r\n');
  });

  it('masks what it releases', () => {
    const m = new TerminalMasker(masker);
    const out = m.write('mail ada@example.com') + m.settle();
    expect(out).toBe('mail [REDACTED]');
  });

  it('keeps an unfinished escape sequence for the next output', () => {
    const m = new TerminalMasker(masker);
    const out = m.write('ok \x1b[01') + m.settle() + m.write(';31mred\x1b[m\n') + m.end();
    expect(out).toBe('ok \x1b[01;31mred\x1b[m\n');
  });
});

describe('TerminalMasker', () => {
  for (const size of [0, 1, 2, 3, 5, 8, 1000]) {
    it(`masks a card number grep coloured, keeping the colours in place (pieces of ${size})`, () => {
      const out = mask(GREP_CARD, size);
      expect(shown(out)).toBe('***************1111\n');
      expect(out).toBe(`\x1b[01;31m\x1b[K****\x1b[m\x1b[K***********1111\n`);
    });

    it(`redacts an email split by colours without eating into a sequence (pieces of ${size})`, () => {
      const out = mask(GREP_EMAIL, size);
      expect(shown(out)).toBe('mail: [REDACTED]\n');
      expect(sequences(out)).toEqual(sequences(GREP_EMAIL));
      expect(out).toBe('mail: \x1b[01;31m\x1b[K[REDACTED]\x1b[m\x1b[K\n');
    });
  }

  it('scans a window title, and keeps its OSC framing', () => {
    expect(mask(`\x1b]0;${CARD}\x07$ `)).toBe('\x1b]0;***************1111\x07$ ');
    expect(mask(`\x1b]2;a@example.com\x1b\\$ `)).toBe('\x1b]2;[REDACTED]\x1b\\$ ');
  });

  it('passes text and sequences with nothing to mask as they came, however cut', () => {
    const text =
      '\x1b[?2004h\x1b]0;user@host: ~\x07\x1b[01;32muser@host\x1b[00m:\x1b[01;34m~\x1b[00m$ ls\r\n\x1b(B\x1b=a.txt\r\n';
    for (const size of [0, 1, 4, 7]) expect(mask(text, size)).toBe(text);
  });

  it('keeps a lone ESC, and one at the very end', () => {
    expect(mask('a\x1b\nb')).toBe('a\x1b\nb');
    expect(mask(`${CARD}\x1b`)).toBe('***************1111\x1b');
  });

  it('treats an endless run of parameters as text rather than holding it', () => {
    const junk = `\x1b[${'1;'.repeat(400)}`;
    const m = new TerminalMasker(masker);
    const out = m.write(junk);
    expect(out.length).toBeGreaterThan(0);
    expect(out + m.end()).toBe(junk);
  });
});
