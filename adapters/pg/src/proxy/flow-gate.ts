/** What a gate stops and starts: a Socket, or direct reads of one (direct-socket.ts). */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
  readonly destroyed: boolean;
}

/**
 * Pauses a socket while any reason to hold it stands (the peer's write buffer is full, a
 * decision or catalog lookup is pending) and resumes it when the last one is released.
 */
export class FlowGate {
  private readonly reasons = new Set<string>();

  constructor(private socket: Pausable) {}

  /** Gate another socket instead (the TLS socket that replaced a plain one, direct reads). */
  rebind(socket: Pausable): void {
    this.socket = socket;
    if (this.reasons.size > 0) socket.pause();
  }

  hold(reason: string): void {
    if (this.reasons.size === 0) this.socket.pause();
    this.reasons.add(reason);
  }

  release(reason: string): void {
    // Released once per statement with nothing held, nearly always: skip the set.
    if (this.reasons.size === 0 || !this.reasons.delete(reason)) return;
    if (this.reasons.size === 0 && !this.socket.destroyed) this.socket.resume();
  }

  get held(): boolean {
    return this.reasons.size > 0;
  }
}
