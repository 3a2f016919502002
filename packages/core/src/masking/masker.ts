/**
 * `createMasker` turns the mask rules of a decision into a masker for values, text, result
 * rows, JSON documents and chunked streams. Options and rules are validated here, once.
 */

import type { DetectorName, MaskRule, MaskStrategy } from '../contract.js';
import { InvalidOptionError, InvalidRequestError } from '../errors.js';
import { type ColumnDescriptor, columnMatches } from './column-match.js';
import { DETECTOR_SCANNERS } from './detectors.js';
import { maskJsonDocument } from './json-masking.js';
import { maskJsonText } from './json-text-masking.js';
import { processHashKey } from './keyed-hash.js';
import { IncrementalMasker, type MaskedSpan, type MaskStream, type SpanMaskStream } from './mask-stream.js';
import { type Prefilter, textFeatures } from './prefilter.js';
import { REGEX_ENGINES, type RegexEngine } from './regex-engine.js';
import { type CompiledRules, compileRules, type ResolvedRule, resolveStrategy } from './rules.js';
import {
  type CompiledScanner,
  compileScanners,
  type Hit,
  type ScannerSpec,
  ScanState,
} from './scan-engine.js';
import { foldForScan } from './scan-folding.js';
import { maskTextSpan, maskWholeValue } from './strategies.js';

/** Shortest operator key accepted: below 128 bits an HMAC key can be guessed. */
export const MIN_HASH_KEY_BYTES = 16;

export interface MaskerOptions {
  /** The mask rules, usually `decision.masks`. */
  rules: readonly MaskRule[];
  /**
   * Key for `hash` (and the characters of `format`), at least 16 bytes. Without it a random
   * key is generated once per process, so hashes are stable only within this process.
   */
  hashKey?: string | Uint8Array;
  /**
   * Engine for the built-in detectors (default `re2`). Exposed so the benchmark can compare;
   * operator patterns always run on RE2.
   */
  regexEngine?: RegexEngine;
}

export interface Masker {
  /** The validated rules, in order. */
  readonly rules: readonly MaskRule[];
  /** True when there is at least one rule, so callers can skip masking entirely. */
  readonly hasRules: boolean;
  /** Mask one whole value with one rule's strategy. */
  maskValue(value: unknown, rule: MaskRule): unknown;
  /** Mask what the detector and pattern rules find in a text. */
  maskText(text: string): string;
  /**
   * Mask a result row: column rules pick whole columns; detector and pattern rules apply to
   * every other text value (and to string leaves of JSON values).
   */
  maskRow(columns: readonly ColumnDescriptor[], values: readonly unknown[]): unknown[];
  /**
   * The column rule that picks this column (the first that matches, as `maskRow` picks), or
   * undefined when none does, so a caller masking many rows of one result looks the rule up
   * once. `mask` masks one value exactly as `maskRow` masks it in this column.
   */
  columnRule(column: ColumnDescriptor): ColumnMask | undefined;
  /**
   * Mask a JSON document (a copy): path rules pick nodes; detectors and patterns apply to every
   * other string and to member names (a masked name that meets another name of its object gets
   * a ` (2)` suffix). Values that are not plain JSON (class instances, objects with `toJSON`)
   * are masked as JSON.stringify writes them.
   */
  maskJson(doc: unknown): unknown;
  /**
   * Mask JSON text as `maskJson` masks its document, changing nothing but the masked values:
   * numbers, escapes, whitespace and key order stay as written, and detectors scan every value
   * of a name written twice, and the names themselves (two names masked alike are both kept, as
   * written). With `numbers`, detectors and patterns read numbers too, as
   * written (one they change becomes a string), as they do in text. Throws JSON.parse's
   * SyntaxError when `text` is not JSON.
   */
  maskJsonText(text: string, options?: { numbers?: boolean }): string;
  /** A chunked masker whose concatenated output equals `maskText` of the concatenated input. */
  createStream(): MaskStream;
  /** The same, saying which runs of the input each piece of output stands for. */
  createSpanStream(): SpanMaskStream;
}

/** A column rule resolved for one column (see `Masker.columnRule`). */
export interface ColumnMask {
  readonly strategy: MaskStrategy;
  /** Characters `partial` keeps (the rule's `keep`, or the default). */
  readonly keep: number;
  mask(value: unknown): unknown;
}

/**
 * The strategy a column rule applies to this column's value: a derived value (see
 * `ColumnDescriptor.derived`) keeps no part of itself, since that part may be another field's.
 */
function strategyFor(strategy: MaskStrategy, column: ColumnDescriptor): MaskStrategy {
  if ((strategy === 'partial' || strategy === 'format') && (column.derived === true || column.any === true)) {
    return 'redact';
  }
  return strategy;
}

function resolveKey(hashKey: unknown): Uint8Array {
  if (hashKey === undefined) return processHashKey();
  let key: Uint8Array;
  if (typeof hashKey === 'string') key = new TextEncoder().encode(hashKey);
  else if (hashKey instanceof Uint8Array) key = new Uint8Array(hashKey);
  else throw new InvalidOptionError('hashKey', 'must be a string or a Uint8Array');
  if (key.byteLength < MIN_HASH_KEY_BYTES) {
    throw new InvalidOptionError('hashKey', `must be at least ${MIN_HASH_KEY_BYTES} bytes`);
  }
  return key;
}

export function createMasker(options: MaskerOptions): Masker {
  return createMaskerWith(options, true);
}

/**
 * Internal (not exported from the package): `createMasker` with the detector prefilters
 * switched on or off. Tests check that turning them off never changes any output.
 */
export function createMaskerWith(options: MaskerOptions, prefilters: boolean): Masker {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  const engine = options.regexEngine ?? 're2';
  if (!REGEX_ENGINES.includes(engine)) {
    throw new InvalidOptionError('regexEngine', `must be one of ${REGEX_ENGINES.join(', ')}`);
  }
  if (options.rules === undefined)
    throw new InvalidOptionError('rules', 'is required (an array of mask rules)');
  if (!Array.isArray(options.rules)) throw new InvalidOptionError('rules', 'must be an array of mask rules');
  const key = resolveKey(options.hashKey);
  const compiled = compileRules(options.rules);
  return new RuleMasker(compiled, key, engine, prefilters);
}

class RuleMasker implements Masker {
  readonly rules: readonly MaskRule[];
  readonly hasRules: boolean;
  /** Scanners for detector rules then pattern rules, in rule order (earlier wins a tie). */
  private readonly scanners: CompiledScanner[];
  private readonly scannerRules: ResolvedRule[];
  private readonly resolved = new WeakMap<object, ResolvedRule>();
  private readonly pathTargets: readonly { path: string; rule: ResolvedRule }[];
  /** Every scanner has a prefilter (no pattern rules), so a text can be ruled out whole. */
  private readonly allPrefiltered: boolean;
  /** The scanners' prefilters, each once (several scanners of a detector may share none). */
  private readonly prefilterList: readonly Prefilter[];

  constructor(
    private readonly compiled: CompiledRules,
    private readonly key: Uint8Array,
    engine: RegexEngine,
    private readonly prefilters: boolean,
  ) {
    this.rules = compiled.rules;
    this.hasRules = compiled.rules.length > 0;
    this.pathTargets = compiled.paths.map((p) => ({ path: p.path, rule: p }));
    const builtIn: ScannerSpec[] = [];
    this.scannerRules = [];
    for (const d of compiled.detectors) {
      for (const spec of DETECTOR_SCANNERS[d.detector]) {
        builtIn.push(spec);
        this.scannerRules.push(d);
      }
    }
    const patterns = compiled.patterns.map((p) => p.spec);
    for (const p of compiled.patterns) this.scannerRules.push(p);
    this.scanners = [...compileScanners(builtIn, engine), ...compileScanners(patterns, 're2')];
    this.allPrefiltered = prefilters && this.scanners.every((s) => s.spec.prefilter !== undefined);
    this.prefilterList = this.allPrefiltered
      ? [...new Set(this.scanners.map((s) => s.spec.prefilter as Prefilter))]
      : [];
  }

  maskValue(value: unknown, rule: MaskRule): unknown {
    let resolved = typeof rule === 'object' && rule !== null ? this.resolved.get(rule) : undefined;
    if (!resolved) {
      resolved = resolveStrategy(rule, 'maskValue rule');
      this.resolved.set(rule, resolved);
    }
    const kind = (rule as { detector?: DetectorName }).detector;
    return maskWholeValue(value, { strategy: resolved.strategy, keep: resolved.keep, kind, key: this.key });
  }

  maskText(text: string): string {
    if (typeof text !== 'string') throw new InvalidRequestError('maskText: text must be a string');
    if (this.scanners.length === 0 || text === '') return text;
    // One pass over the text answers every prefilter; when none passes, no regex runs.
    // (Without a prefilter everywhere, the scan counts only if a scanner asks.) The detectors
    // read the text folded (scan-folding.ts), and so do their prefilters.
    const folded = foldForScan(text);
    const features = this.allPrefiltered ? textFeatures(folded) : undefined;
    if (features) {
      const list = this.prefilterList;
      let maybe = false;
      for (let i = 0; i < list.length; i++) {
        if ((list[i] as Prefilter)(features, folded)) {
          maybe = true;
          break;
        }
      }
      if (!maybe) return text;
    }
    return this.newStream().maskAll(text, features, folded);
  }

  columnRule(column: ColumnDescriptor): ColumnMask | undefined {
    const rule = this.compiled.columns.find((c) => columnMatches(c.target, column));
    if (!rule) return undefined;
    const strategy = strategyFor(rule.strategy, column);
    const options = { strategy, keep: rule.keep, key: this.key };
    return { strategy, keep: rule.keep, mask: (value) => maskWholeValue(value, options) };
  }

  maskRow(columns: readonly ColumnDescriptor[], values: readonly unknown[]): unknown[] {
    if (!Array.isArray(columns) || !Array.isArray(values) || columns.length !== values.length) {
      throw new InvalidRequestError('maskRow: columns and values must be arrays of the same length');
    }
    return values.map((value, i) => {
      const descriptor = columns[i] as ColumnDescriptor;
      const rule = this.compiled.columns.find((c) => columnMatches(c.target, descriptor));
      if (rule) {
        const strategy = strategyFor(rule.strategy, descriptor);
        return maskWholeValue(value, { strategy, keep: rule.keep, key: this.key });
      }
      return this.maskLoose(value);
    });
  }

  maskJson(doc: unknown): unknown {
    return maskJsonDocument(doc, this.pathTargets, {
      maskNode: (value, rule) =>
        maskWholeValue(value, { strategy: rule.strategy, keep: rule.keep, key: this.key }),
      maskString: (text) => this.maskText(text),
    });
  }

  maskJsonText(text: string, options: { numbers?: boolean } = {}): string {
    return maskJsonText(
      text,
      this.pathTargets,
      {
        maskNode: (value, rule) =>
          maskWholeValue(value, { strategy: rule.strategy, keep: rule.keep, key: this.key }),
        maskString: (value) => this.maskText(value),
      },
      options.numbers === true,
    );
  }

  createStream(): MaskStream {
    return this.newStream();
  }

  createSpanStream(): SpanMaskStream {
    const stream = this.newStream();
    return {
      write(chunk) {
        const spans: MaskedSpan[] = [];
        stream.write(chunk, spans);
        return spans;
      },
      end() {
        const spans: MaskedSpan[] = [];
        stream.end(spans);
        return spans;
      },
    };
  }

  private newStream(): IncrementalMasker {
    return new IncrementalMasker(new ScanState(this.scanners, this.prefilters), (text, hits) =>
      this.renderGroup(text, hits),
    );
  }

  /** A value no column rule picked: detectors and patterns on its text, if it has any. */
  private maskLoose(value: unknown): unknown {
    if (this.scanners.length === 0) return value;
    if (typeof value === 'string') return this.maskText(value);
    if (
      typeof value === 'object' &&
      value !== null &&
      !(value instanceof Uint8Array) &&
      !(value instanceof Date)
    ) {
      return maskJsonDocument(value, [], { maskNode: (v) => v, maskString: (text) => this.maskText(text) });
    }
    return value;
  }

  private renderGroup(text: string, hits: readonly Hit[]): string {
    const first = hits[0] as Hit;
    const rule = this.scannerRules[first.scanner] as ResolvedRule;
    const kindOf = (hit: Hit) => (this.scanners[hit.scanner] as CompiledScanner).spec.kind;
    const kind = kindOf(first);
    // A group of one kind keeps that kind's format; a mixed group is formatted generically.
    const uniform = kind !== 'pattern' && hits.every((hit) => kindOf(hit) === kind);
    return maskTextSpan(text, {
      strategy: rule.strategy,
      keep: rule.keep,
      kind: uniform ? (kind as DetectorName) : undefined,
      key: this.key,
    });
  }
}
