/**
 * Relaying one session channel between the client and the host once it is allowed: stdin
 * up, stdout and stderr down (through the stream masker when the decision has mask rules),
 * then the exit status or signal, then close. Every hop is a pipe, so a slow reader on
 * either side stops the other through SSH's window.
 */

import { Transform } from 'node:stream';
import type { Masker } from '@portcullis/core';
import type { ClientChannel, ServerChannel } from 'ssh2';
import { TerminalMasker } from './terminal-masker.js';

export interface RelayOptions {
  masker?: Masker;
  /**
   * Takes over client input (an interactive shell's line editor): called per chunk, and the
   * client channel is paused until it settles, so typed-ahead input waits behind a decision.
   */
  onInput?: (chunk: Buffer) => Promise<void>;
  /** Release output the masker holds back after this long without more (PTY_SETTLE_AFTER_MS). */
  settleAfterMs?: number;
  /** Sees what the client typed and, after masking, what it was sent (a session recorder). */
  tap?: { input?(chunk: Buffer): void; output(chunk: Buffer): void };
}

/**
 * How long the output of a channel with a pty may pause before what the masker holds back
 * goes out (TerminalMasker's `settle`). The masker keeps the tail of the output that could
 * still begin a secret (a prompt's last character, digits being typed); a program
 * waiting at a prompt sends nothing more, so without this its prompt would never show whole
 * (nor be seen as a password prompt). The price: a secret that a program on a pty writes in
 * two parts further apart than this is judged in two halves. Without a pty nothing waits for
 * a prompt, and output is held until it is whole or the channel ends.
 */
export const PTY_SETTLE_AFTER_MS = 50;

/**
 * A Transform that decodes UTF-8 and masks what the masker finds, split chunks included, with
 * terminal escape sequences kept out of the scan and in place (see terminal-masker.ts). With
 * `settleAfterMs`, output held back is released after that long without more.
 */
export function maskingTransform(masker: Masker, settleAfterMs?: number): Transform {
  let decoder = new TextDecoder('utf-8');
  const stream = new TerminalMasker(masker);
  let timer: NodeJS.Timeout | undefined;
  let withholding = false;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      clearTimeout(timer);
      if (chunk.includes(0)) {
        // Output in UTF-16 or UTF-32 (`iconv -t UTF-16`, a file written so) decodes to its
        // characters with a NUL beside each ASCII one, which no detector matches: every
        // secret in it would pass. Such output, and binary, is withheld, once noticed per run.
        const held = stream.settle();
        const notice = withholding ? '' : withheldNotice(settleAfterMs !== undefined);
        withholding = true;
        decoder = new TextDecoder('utf-8');
        callback(null, held + notice === '' ? undefined : Buffer.from(held + notice, 'utf8'));
        return;
      }
      withholding = false;
      const out = stream.write(decoder.decode(chunk, { stream: true }));
      if (settleAfterMs !== undefined && stream.holding) timer = setTimeout(settle, settleAfterMs);
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    },
    flush(callback) {
      clearTimeout(timer);
      const out = stream.write(decoder.decode()) + stream.end();
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    },
    destroy(err, callback) {
      clearTimeout(timer);
      callback(err);
    },
  });
  function settle(): void {
    if (transform.writableEnded || transform.destroyed) return;
    const out = stream.settle();
    if (out !== '') transform.push(Buffer.from(out, 'utf8'));
  }
  return transform;
}

/** What a client sees in place of output the masks cannot read. */
export function withheldNotice(pty: boolean): string {
  const eol = pty ? '\r\n' : '\n';
  return `${eol}[portcullis: output withheld: it holds NUL bytes (UTF-16, UTF-32 or binary), which masks cannot read]${eol}`;
}

/** Resolves once every byte written so far has been handed to SSH (a zero-length write is a barrier). */
function flushed(stream: NodeJS.WritableStream & { writable: boolean }): Promise<void> {
  if (!stream.writable) return Promise.resolve();
  return new Promise((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
}

function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

export async function relayChannel(
  client: ServerChannel,
  up: ClientChannel,
  options: RelayOptions = {},
): Promise<void> {
  let exit: [number] | [string, boolean, string] | undefined;
  up.on('exit', (code: number | null, signal?: string, dumped?: boolean, description?: string) => {
    exit =
      code === null || code === undefined ? [signal ?? 'KILL', dumped ?? false, description ?? ''] : [code];
  });
  const upClosed = new Promise<void>((resolve) => up.once('close', resolve));
  let clientGone = false;
  client.once('close', () => {
    clientGone = true;
    up.close();
  });

  const { tap } = options;
  const tapInput = tap?.input?.bind(tap);
  if (tapInput) client.on('data', (chunk: Buffer) => tapInput(chunk));
  // Client input: as is, unless a line editor needs to see it first (interactive shells).
  if (options.onInput) {
    const onInput = options.onInput;
    client.on('data', (chunk: Buffer) => {
      client.pause();
      onInput(chunk).then(
        () => client.resume(),
        () => client.close(),
      );
    });
    client.once('end', () => up.end());
  } else {
    client.pipe(up);
  }

  const { masker, settleAfterMs } = options;
  const stdout = masker ? up.pipe(maskingTransform(masker, settleAfterMs)) : up;
  const stderr = masker ? up.stderr.pipe(maskingTransform(masker, settleAfterMs)) : up.stderr;
  if (tap) {
    stdout.on('data', (chunk: Buffer) => tap.output(chunk));
    stderr.on('data', (chunk: Buffer) => tap.output(chunk));
  }
  const outDone = ended(stdout);
  const errDone = ended(stderr);
  stdout.pipe(client, { end: false });
  stderr.pipe(client.stderr, { end: false });

  await Promise.all([outDone, errDone, upClosed]);
  client.unpipe();
  client.removeAllListeners('data');
  if (clientGone) return;
  await Promise.all([flushed(client), flushed(client.stderr)]);
  if (exit?.length === 1) client.exit(exit[0]);
  else if (exit) client.exit(exit[0], exit[1], exit[2]);
  client.end();
}
