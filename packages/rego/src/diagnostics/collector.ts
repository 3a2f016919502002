import type { Diagnostic, DiagnosticCode, DiagnosticDetail, DiagnosticLocation } from './diagnostic.js';
import { DiagnosticCodes } from './diagnostic.js';

/** OPA stops reporting after ten errors; a longer list rarely helps and can be huge. */
export const DEFAULT_MAX_DIAGNOSTICS = 10;

/** OPA's wording for the entry that marks a truncated list. */
export const ERROR_LIMIT_MESSAGE = 'error limit reached';

export interface DiagnosticCollectorOptions {
  /** Most diagnostics kept before the list is closed with an "error limit reached" entry; 0 means no cap. */
  readonly maxDiagnostics?: number;
}

/**
 * Gathers the diagnostics of one compilation step. Stages keep going after an error so that one
 * run reports as many independent problems as possible, up to the cap.
 */
export class DiagnosticCollector {
  readonly #items: Diagnostic[] = [];
  readonly #max: number;
  #limitReached = false;

  constructor(options: DiagnosticCollectorOptions = {}) {
    const max = options.maxDiagnostics ?? DEFAULT_MAX_DIAGNOSTICS;
    if (!Number.isInteger(max) || max < 0) {
      throw new RangeError(`maxDiagnostics must be a non-negative integer, got ${String(max)}`);
    }
    this.#max = max;
  }

  /** Records a diagnostic; returns false once the cap has been reached and the entry was dropped. */
  add(diagnostic: Diagnostic): boolean {
    if (this.#limitReached) return false;
    if (this.#max > 0 && this.#items.length >= this.#max) {
      this.#limitReached = true;
      this.#items.push({
        code: DiagnosticCodes.compile,
        message: ERROR_LIMIT_MESSAGE,
        location: diagnostic.location,
      });
      return false;
    }
    this.#items.push(diagnostic);
    return true;
  }

  report(
    code: DiagnosticCode,
    message: string,
    location: DiagnosticLocation,
    details?: DiagnosticDetail,
  ): boolean {
    return this.add(
      details === undefined ? { code, message, location } : { code, message, location, details },
    );
  }

  get limitReached(): boolean {
    return this.#limitReached;
  }

  get size(): number {
    return this.#items.length;
  }

  get hasErrors(): boolean {
    return this.#items.length > 0;
  }

  /** A snapshot; later additions do not show up in it. */
  toArray(): Diagnostic[] {
    return [...this.#items];
  }
}
