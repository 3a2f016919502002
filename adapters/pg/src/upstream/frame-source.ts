import type { Socket } from 'node:net';
import type { Frame, MessageFramer } from '../protocol/message-framer.js';

/**
 * Frames of a socket as awaited values, for the short sequential conversations (startup,
 * authentication, catalog queries) where a state machine would be harder to read. `detach`
 * removes the listeners; bytes not yet framed stay in the framer for whoever reads next.
 */
export class FrameSource {
  private readonly frames: Frame[] = [];
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly framer: MessageFramer,
  ) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.framer.push(chunk);
      for (let f = this.framer.next(); f; f = this.framer.next()) this.frames.push(f);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.deliver();
  };

  private readonly onError = (err: Error): void => this.fail(err);
  private readonly onClose = (): void => this.fail(new Error('connection closed'));

  private fail(err: Error): void {
    this.failure ??= err;
    this.deliver();
  }

  private deliver(): void {
    if (!this.waiter) return;
    const frame = this.frames.shift();
    if (frame) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(frame);
    } else if (this.failure) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  next(): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Frames received but not yet read; a detaching caller must handle them itself. */
  drain(): Frame[] {
    return this.frames.splice(0);
  }

  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }
}
