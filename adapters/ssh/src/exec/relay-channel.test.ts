import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { maskingTransform, withheldNotice } from './relay-channel.js';

const masker = createMasker({ rules: [{ detector: 'credit_card', strategy: 'partial', keep: 4 }] });

/** Everything the transform has pushed so far, as text. */
function collect(t: ReturnType<typeof maskingTransform>): () => string {
  let out = '';
  t.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  return () => out;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('maskingTransform', () => {
  it('withholds output holding NUL bytes (UTF-16, binary) with a notice, and goes on with text after it', async () => {
    const t = maskingTransform(masker);
    const seen = collect(t);
    t.write('total ');
    t.write(Buffer.from('card 4111 1111 1111 1111\n', 'utf16le'));
    t.write(Buffer.from('more 5500 0000', 'utf16le'));
    t.end('4111 1111 1111 1111 done\n');
    await new Promise((resolve) => t.once('end', resolve));
    expect(seen()).toBe(`total ${withheldNotice(false)}***************1111 done\n`);
    expect(withheldNotice(true)).toMatch(/^\r\n\[portcullis: output withheld/);
  });

  it('without a settle time, holds a possible start of a card until the output goes on', async () => {
    const t = maskingTransform(masker);
    const seen = collect(t);
    t.write('total 4111 1111 ');
    await pause(60);
    expect(seen()).toBe('total');
    t.end('1111 1111\n');
    await new Promise((resolve) => t.once('end', resolve));
    expect(seen()).toBe('total ***************1111\n');
  });

  it('with a settle time, releases what it holds once the output pauses, masked as it stands', async () => {
    const t = maskingTransform(masker, 10);
    const seen = collect(t);
    t.write('alice@web-1:~$ ');
    await pause(60);
    expect(seen()).toBe('alice@web-1:~$ ');
    t.write(`4111 1111 1111 1111\r\n$ `);
    await pause(60);
    expect(seen()).toBe('alice@web-1:~$ ***************1111\r\n$ ');
    // The trade-off: halves of a card written further apart than the settle time go out as
    // they are, since neither is a card.
    t.write('4111 1111 ');
    await pause(60);
    t.end('1111 1111\n');
    await new Promise((resolve) => t.once('end', resolve));
    expect(seen()).toBe('alice@web-1:~$ ***************1111\r\n$ 4111 1111 1111 1111\n');
  });

  it('stops its timer when the output ends or the stream is destroyed', async () => {
    const ended = maskingTransform(masker, 10);
    const seen = collect(ended);
    ended.end('4111 ');
    await new Promise((resolve) => ended.once('end', resolve));
    await pause(30);
    expect(seen()).toBe('4111 ');
    const destroyed = maskingTransform(masker, 10);
    const none = collect(destroyed);
    destroyed.write('4111 ');
    destroyed.destroy();
    await pause(30);
    expect(none()).toBe('');
  });
});
