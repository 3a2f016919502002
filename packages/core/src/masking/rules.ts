/**
 * Validation of mask rules at construction, so a bad rule fails when the masker is built
 * rather than when the first row flows through it. Every operator pattern is compiled with
 * RE2 here; a pattern RE2 rejects, or one that matches the empty string, is refused.
 */

import { JSONPath } from 'jsonpath-plus';
import RE2 from 're2';
import type { DetectorName, MaskRule, MaskStrategy } from '../contract.js';
import { InvalidMaskRuleError } from '../errors.js';
import { type ColumnTarget, EXCEPT_MAX, parseColumnTarget } from './column-match.js';
import { DETECTOR_NAMES, isDetectorName } from './detectors.js';
import type { ScannerSpec } from './scan-engine.js';
import { spanBound } from './span-bound.js';
import { DEFAULT_KEEP, MASK_STRATEGIES, MAX_KEEP } from './strategies.js';

/**
 * How far back the stream looks for an operator pattern whose match length has no bound
 * (`\S+`): a match is settled once this many characters follow its start. A bounded pattern
 * uses its own bound instead.
 */
export const PATTERN_SPAN_CAP = 4096;
const PATTERN_SOURCE_MAX = 4096;

export interface ResolvedRule {
  readonly rule: MaskRule;
  readonly strategy: MaskStrategy;
  readonly keep: number;
}

export interface CompiledRules {
  readonly rules: readonly MaskRule[];
  readonly columns: readonly (ResolvedRule & { target: ColumnTarget })[];
  readonly paths: readonly (ResolvedRule & { path: string })[];
  readonly detectors: readonly (ResolvedRule & { detector: DetectorName })[];
  readonly patterns: readonly (ResolvedRule & { spec: ScannerSpec })[];
}

const SELECTORS = ['column', 'column_pattern', 'path', 'detector', 'pattern'] as const;

function fail(where: string, message: string, cause?: unknown): never {
  throw new InvalidMaskRuleError(`${where}: ${message}`, cause === undefined ? {} : { cause });
}

/** Check strategy and keep of a rule (also used for rules handed straight to maskValue). */
export function resolveStrategy(rule: unknown, where: string): ResolvedRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    fail(where, 'a mask rule must be an object');
  const { strategy, keep } = rule as { strategy?: unknown; keep?: unknown };
  if (typeof strategy !== 'string' || !(MASK_STRATEGIES as readonly string[]).includes(strategy)) {
    fail(where, `strategy must be one of ${MASK_STRATEGIES.join(', ')}`);
  }
  if (
    keep !== undefined &&
    (!Number.isInteger(keep) || (keep as number) < 0 || (keep as number) > MAX_KEEP)
  ) {
    fail(where, `keep must be an integer from 0 to ${MAX_KEEP}`);
  }
  return {
    rule: rule as MaskRule,
    strategy: strategy as MaskStrategy,
    keep: (keep as number | undefined) ?? DEFAULT_KEEP,
  };
}

export function compileRules(rules: unknown, option = 'rules'): CompiledRules {
  if (!Array.isArray(rules)) throw new InvalidMaskRuleError(`${option} must be an array of mask rules`);
  const compiled = {
    rules: [] as MaskRule[],
    columns: [] as (ResolvedRule & { target: ColumnTarget })[],
    paths: [] as (ResolvedRule & { path: string })[],
    detectors: [] as (ResolvedRule & { detector: DetectorName })[],
    patterns: [] as (ResolvedRule & { spec: ScannerSpec })[],
  };
  rules.forEach((raw: unknown, index) => {
    const where = `${option}[${index}]`;
    const resolved = resolveStrategy(raw, where);
    const rule = raw as Record<string, unknown>;
    const present = SELECTORS.filter((key) => rule[key] !== undefined);
    if (present.length !== 1)
      fail(where, 'exactly one of column, column_pattern, path, detector or pattern must be given');
    const selector = present[0] as (typeof SELECTORS)[number];
    const value = rule[selector];
    if (rule.except !== undefined && selector !== 'column_pattern')
      fail(where, 'except is only for a column_pattern rule');
    if (typeof value !== 'string' || value === '') fail(where, `${selector} must be a non-empty string`);
    switch (selector) {
      case 'column': {
        const target = parseColumnTarget(value);
        if (!target)
          fail(where, `column ${JSON.stringify(value)} is not column, table.column or schema.table.column`);
        compiled.columns.push({ ...resolved, target });
        break;
      }
      case 'column_pattern': {
        const except = exceptions(rule.except, where);
        compiled.columns.push({
          ...resolved,
          target: { column: '', pattern: columnPattern(value, where), ...(except ? { except } : {}) },
        });
        break;
      }
      case 'path':
        checkPath(value, where);
        compiled.paths.push({ ...resolved, path: value });
        break;
      case 'detector':
        if (!isDetectorName(value))
          fail(where, `unknown detector ${JSON.stringify(value)}; known: ${DETECTOR_NAMES.join(', ')}`);
        // The first rule for a detector decides its strategy; later duplicates add nothing.
        if (!compiled.detectors.some((d) => d.detector === value))
          compiled.detectors.push({ ...resolved, detector: value });
        break;
      case 'pattern':
        compiled.patterns.push({ ...resolved, spec: patternSpec(value, where) });
        break;
    }
    compiled.rules.push(resolved.rule);
  });
  return compiled;
}

function exceptions(value: unknown, where: string): ColumnTarget[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(where, 'except must be a list of table.column names');
  if (value.length > EXCEPT_MAX) fail(where, `except has more than ${EXCEPT_MAX} names`);
  return value.map((name: unknown, i) => {
    const target = typeof name === 'string' ? parseColumnTarget(name) : undefined;
    if (!target || target.table === undefined)
      fail(`${where}.except[${i}]`, `${JSON.stringify(name)} is not table.column or schema.table.column`);
    return target;
  });
}

function columnPattern(source: string, where: string): { test(name: string): boolean } {
  if (source.length > PATTERN_SOURCE_MAX)
    fail(where, `column_pattern is longer than ${PATTERN_SOURCE_MAX} characters`);
  try {
    return new RE2(source, 'u');
  } catch (error) {
    fail(
      where,
      `column_pattern ${JSON.stringify(source)} is not a valid RE2 expression: ${(error as Error).message}`,
      error,
    );
  }
}

function patternSpec(source: string, where: string): ScannerSpec {
  if (source.length > PATTERN_SOURCE_MAX)
    fail(where, `pattern is longer than ${PATTERN_SOURCE_MAX} characters`);
  try {
    new RE2(source, 'g');
  } catch (error) {
    fail(
      where,
      `pattern ${JSON.stringify(source)} is not a valid RE2 expression: ${(error as Error).message}`,
      error,
    );
  }
  const bound = spanBound(source);
  if (bound.min === 0) fail(where, `pattern ${JSON.stringify(source)} can match the empty string`);
  return { kind: 'pattern', source, maxSpan: Number.isFinite(bound.max) ? bound.max : PATTERN_SPAN_CAP };
}

function checkPath(path: string, where: string): void {
  if (!path.startsWith('$')) fail(where, `path ${JSON.stringify(path)} must start with $`);
  if (!bracketsBalanced(path)) fail(where, `path ${JSON.stringify(path)} has unbalanced brackets or quotes`);
  let parts: string[];
  try {
    parts = JSONPath.toPathArray(path);
  } catch (error) {
    fail(where, `path ${JSON.stringify(path)} does not parse`, error);
  }
  // Script and filter expressions would need evaluation, which stays off: paths come from policies.
  if (parts.some((part) => /^\??\(/.test(part))) {
    fail(where, `path ${JSON.stringify(path)} uses a script or filter expression, which is not allowed`);
  }
  try {
    JSONPath({ path, json: {}, eval: false, wrap: true });
  } catch (error) {
    fail(where, `path ${JSON.stringify(path)} does not evaluate`, error);
  }
}

function bracketsBalanced(path: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if ((ch === "'" || ch === '"') && depth > 0) {
      quote = ch;
    } else if (ch === '[') {
      depth++;
    } else if (ch === ']') {
      if (--depth < 0) return false;
    }
  }
  return depth === 0 && quote === undefined;
}
