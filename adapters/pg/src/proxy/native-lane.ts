/**
 * The native lane (native/lane.c), as the proxy's sessions use it. While a session has
 * nothing under way, the lane relays in C the Queries and prepared statements' batches the
 * session has judged and registered with it (an allow with nothing to mask, answered as it was
 * when registered: the same RowDescription or none, rows, one CommandComplete within the row
 * limit, ReadyForQuery with the same transaction status), with no JavaScript per message;
 * anything else is handed back (`LaneHandoff`) and the session goes on as if it had read those
 * bytes itself.
 *
 * The addon is built by `scripts/build-native.mjs` (the package's `build`); without it
 * `nativeLane: true` is refused when the proxy is created.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What the lane hands back: everything it read and did not finish, and what it did. */
export interface LaneHandoff {
  /**
   * Why the lane stopped (`unregistered`, `declined`, `message`, `server`, `client-end`,
   * `stopped` …).
   */
  readonly reason: string;
  /** The registration of the Query forwarded and not answered yet; -1 for none. */
  readonly id: number;
  /** That Query message (type byte and length word included). */
  readonly query?: Buffer;
  /** What of it the server has not been sent yet. */
  readonly unsent?: Buffer;
  /** Server bytes not checked or not sent: the response to `query` from its first byte. */
  readonly server?: Buffer;
  /** Bytes of a checked response the client has not been sent yet (its statement is done). */
  readonly toClient?: Buffer;
  /** Client bytes not handled. */
  readonly client: Buffer;
  /** Statements, rows and bytes to the client the lane relayed since it last handed back. */
  readonly statements: number;
  readonly rows: number;
  readonly bytes: number;
  /** The transaction status ('I' or 'T') after the last statement the lane finished. */
  readonly status: string;
  /** The registrations run since the status was last idle (once each, in order). */
  readonly ran: readonly number[];
  /** Whether the status was idle after a statement the lane ran since it last handed back. */
  readonly idle: boolean;
}

/** A lane of one session (an opaque handle of the addon's). */
export type LaneHandle = { readonly __lane: unique symbol };

/**
 * What a registration is keyed by: a Query's exact text, its numeric template, or a prepared
 * statement's extended batch (`boundLaneKey`).
 */
export const LaneKeyKind = { Exact: 0, Template: 1, Bound: 2 } as const;
export type LaneKeyKind = (typeof LaneKeyKind)[keyof typeof LaneKeyKind];

/** The most registrations a lane holds; past it, the first registered goes. */
export const LANE_REGISTRATIONS = 64;
/** The longest RowDescription body a registration may carry. */
export const LANE_DESCRIPTION_MAX = 8192;

export interface LaneBinding {
  /**
   * `maxMessageSize` as the proxy's: a message past it either way is handed back. The last
   * three are an audited session's. `onStatement` is asked before each statement is sent
   * (`message`: the Query, or the batch of Bind, Describe, Execute, Sync, as the client sent
   * it): true once its decision record is written; false declines, and the lane hands back
   * with nothing of it sent (reason `declined`). `onComplete` is told when the response is
   * whole, before the client gets any of it: `tag`, the CommandComplete's; `bytes`, what a
   * completion record counts (a Query's whole response, a batch's from its first DataRow or
   * CommandComplete to the end of that CommandComplete); `response`, those bytes, with
   * `withResponse`.
   */
  create(
    clientFd: number,
    upstreamFd: number,
    maxMessageSize: number,
    onHandoff: (handoff: LaneHandoff) => void,
    onStatement?: (id: number, message: Buffer) => boolean,
    onComplete?: (id: number, tag: string, bytes: number, response?: Buffer) => void,
    withResponse?: boolean,
  ): LaneHandle;
  /**
   * `description`: the RowDescription's body, or null for a statement that returns no rows;
   * `from` and `to`: the status codes (`'I'` or `'T'` as a char code) it runs from and leaves;
   * `limit`: its row limit, or -1.
   */
  register(
    lane: LaneHandle,
    id: number,
    kind: LaneKeyKind,
    key: Buffer,
    description: Buffer | null,
    ttlMs: number,
    from: number,
    to: number,
    limit: number,
  ): boolean;
  /** Forgets one registration; false when there was none. */
  unregister(lane: LaneHandle, kind: LaneKeyKind, from: number, key: Buffer): boolean;
  /** Forgets every registration (what is in flight goes on). */
  clear(lane: LaneHandle): void;
  /** 0, or a negative libuv error code. `status`: the server's last, as a char code. */
  start(lane: LaneHandle, status: number): number;
  stop(lane: LaneHandle): LaneHandoff | undefined;
  destroy(lane: LaneHandle): void;
  /** decision-memo.ts's numericTemplate as the lane computes it (for tests). */
  template(text: Buffer): Buffer | null;
}

/**
 * The key of an extended batch (Bind of the unnamed portal, Describe of it, Execute, Sync) of
 * the prepared statement `name`, as the lane reads it from the Bind: the name, a NUL, 1 (the
 * portal is described), and the Bind's result formats as they are sent.
 */
export function boundLaneKey(name: string, resultFormats: readonly number[]): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const key = Buffer.alloc(nameBytes.length + 4 + 2 * resultFormats.length);
  nameBytes.copy(key);
  let at = nameBytes.length;
  key[at++] = 0;
  key[at++] = 1;
  at = key.writeUInt16BE(resultFormats.length, at);
  for (const f of resultFormats) at = key.writeInt16BE(f, at);
  return key;
}

let binding: LaneBinding | undefined;
let loadError: string | undefined;
let tried = false;

/** From src/proxy (sources) or dist (the bundle): native/build is the package's. */
const CANDIDATES = ['../../native/build/pg-lane.node', '../native/build/pg-lane.node'];

/** The addon, loaded once; undefined when it is not built (see `nativeLaneError`). */
export function nativeLane(): LaneBinding | undefined {
  if (tried) return binding;
  tried = true;
  const require = createRequire(import.meta.url);
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      binding = require(path) as LaneBinding;
      return binding;
    } catch (err) {
      loadError = `cannot load ${path}: ${(err as Error).message}`;
      return undefined;
    }
  }
  loadError = 'native/build/pg-lane.node is not built (run the package build: scripts/build-native.mjs)';
  return undefined;
}

export function nativeLaneError(): string | undefined {
  nativeLane();
  return loadError;
}
