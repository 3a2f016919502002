import type { Socket } from 'node:net';

/**
 * Pauses a socket while any reason to hold it stands (the peer's write buffer is full, a
 * decision or catalog lookup is pending) and resumes it when the last one is released.
 */
export class FlowGate {
  private readonly reasons = new Set<string>();

  constructor(private socket: Socket) {}

  /** Gate another socket instead (the TLS socket that replaced a plain one). */
  rebind(socket: Socket): void {
    this.socket = socket;
    if (this.reasons.size > 0) socket.pause();
  }

  hold(reason: string): void {
    if (this.reasons.size === 0) this.socket.pause();
    this.reasons.add(reason);
  }

  release(reason: string): void {
    if (!this.reasons.delete(reason)) return;
    if (this.reasons.size === 0 && !this.socket.destroyed) this.socket.resume();
  }

  get held(): boolean {
    return this.reasons.size > 0;
  }
}
