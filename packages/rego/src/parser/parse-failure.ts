import type { Diagnostic } from '../diagnostics/diagnostic.js';

/**
 * Unwinds the parser from the point of a syntax error to the nearest place that can recover (a
 * statement boundary, or a speculative parse that will try another reading). It is internal:
 * callers of the parser only ever see collected diagnostics. Not an Error subclass on purpose:
 * speculative parses throw and catch these often, and capturing stack traces would dominate.
 */
export class ParseFailure {
  constructor(
    readonly diagnostic: Diagnostic,
    /** Index of the token the parser was looking at when it gave up. */
    readonly at: number,
  ) {}
}
