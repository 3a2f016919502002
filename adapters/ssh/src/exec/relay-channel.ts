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
  /** Sees what the client typed and, after masking, what it was sent (a session recorder). */
  tap?: { input?(chunk: Buffer): void; output(chunk: Buffer): void };
}

/**
 * A Transform that decodes UTF-8 and masks what the masker finds, split chunks included, with
 * terminal escape sequences kept out of the scan and in place (see terminal-masker.ts).
 */
export function maskingTransform(masker: Masker): Transform {
  const decoder = new TextDecoder('utf-8');
  const stream = new TerminalMasker(masker);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = stream.write(decoder.decode(chunk, { stream: true }));
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    },
    flush(callback) {
      const out = stream.write(decoder.decode()) + stream.end();
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    },
  });
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

  const { masker } = options;
  const stdout = masker ? up.pipe(maskingTransform(masker)) : up;
  const stderr = masker ? up.stderr.pipe(maskingTransform(masker)) : up.stderr;
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
