import type { EventEmitter } from 'node:events';

/**
 * The abort signal that ends a hold when the client goes away. Made only when a request is
 * actually held: the common path allocates no AbortController, adds no `close` listener and
 * (plain methods, no per-request closures) creates nothing but this object.
 */
export class HoldSignal {
  #abort: AbortController | undefined;
  #onClose: (() => void) | undefined;
  readonly #emitter: EventEmitter | undefined;
  readonly #response: { readonly writableEnded: boolean } | undefined;

  /**
   * @param emitter what emits `close` when the client goes away (the response, or the socket)
   * @param response when given, a `close` after the answer was fully written is not an abort
   */
  constructor(emitter: EventEmitter | undefined, response?: { readonly writableEnded: boolean }) {
    this.#emitter = emitter;
    this.#response = response;
  }

  signal(): AbortSignal {
    if (this.#abort === undefined) {
      const abort = new AbortController();
      this.#abort = abort;
      this.#onClose = () => {
        if (this.#response?.writableEnded !== true) abort.abort();
      };
      this.#emitter?.once('close', this.#onClose);
    }
    return this.#abort.signal;
  }

  /** Stop listening once the decision is made. */
  release(): void {
    if (this.#onClose !== undefined) this.#emitter?.off('close', this.#onClose);
  }
}
