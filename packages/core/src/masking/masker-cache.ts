import type { MaskRule } from '../contract.js';
import { createMasker, type Masker, type MaskerOptions } from './masker.js';

export type MaskingOptions = Omit<MaskerOptions, 'rules'>;

const MAX_ENTRIES = 64;

/**
 * Maskers by rule set. A policy returns the same few rule sets over and over, and compiling
 * one (RE2 patterns, JSONPath) costs more than masking a small response with it.
 */
export class MaskerCache {
  readonly #entries = new Map<string, Masker>();
  constructor(private readonly options: MaskingOptions = {}) {
    // Validate the options now, naming the bad one, rather than on the first masked response.
    createMasker({ ...options, rules: [] });
  }

  get(rules: readonly MaskRule[]): Masker | undefined {
    if (rules.length === 0) return undefined;
    const key = JSON.stringify(rules);
    let masker = this.#entries.get(key);
    if (masker === undefined) {
      masker = createMasker({ ...this.options, rules });
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, masker);
    }
    return masker;
  }
}
