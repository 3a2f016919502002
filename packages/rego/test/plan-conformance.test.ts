/**
 * Runs OPA's conformance suite (../shared/opa-conformance/v1, outside the repository) through
 * parse → compile → plan → the reference IR interpreter, and holds each directory's pass count
 * at or above the floor recorded here, so it can only go up.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compileModules } from '../src/compile/index.js';
import { parseTerm } from '../src/parser/index.js';
import {
  fromJson,
  IrEvalError,
  IrInterpreter,
  planPolicy,
  termToValue,
  toJson,
  type Value,
} from '../src/plan/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const suiteRoot = path.resolve(repoRoot, '..', 'shared', 'opa-conformance', 'v1');

interface Case {
  note: string;
  query: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[];
  sort_bindings?: boolean;
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
}

/** Minimum passing cases per directory; raise these as the pipeline improves. */
const FLOORS: Record<string, number> = {
  aggregates: 66,
  arithmetic: 18,
  array: 13,
  assignments: 5,
  base64builtins: 5,
  base64urlbuiltins: 6,
  baseandvirtualdocs: 8,
  bitsand: 2,
  bitsnegate: 2,
  bitsor: 2,
  bitsshiftleft: 3,
  bitsshiftright: 2,
  bitsxor: 2,
  casts: 4,
  comparisonexpr: 10,
  completedoc: 12,
  compositebasedereference: 3,
  compositereferences: 13,
  comprehensions: 19,
  containskeyword: 5,
  cryptohmacequal: 5,
  cryptohmacmd5: 2,
  cryptohmacsha1: 2,
  cryptohmacsha512: 2,
  cryptosha1: 1,
  cryptosha256: 1,
  dataderef: 3,
  defaultkeyword: 6,
  disjunction: 23,
  elsekeyword: 12,
  embeddedvirtualdoc: 1,
  eqexpr: 48,
  evaltermexpr: 14,
  every: 28,
  example: 2,
  fix1863: 2,
  functionerrors: 4,
  functions: 30,
  globmatch: 20,
  globsmatch: 4,
  helloworld: 2,
  hexbuiltins: 3,
  indirectreferences: 2,
  inputvalues: 6,
  intersection: 2,
  jsonbuiltins: 14,
  jsonfilter: 10,
  jsonfilteridempotent: 1,
  jsonpatch: 1,
  jsonremove: 14,
  jsonremoveidempotent: 1,
  negation: 4,
  nestedreferences: 14,
  netcidrcontains: 11,
  netcidrcontainsmatches: 7,
  netcidrexpand: 4,
  netcidrintersects: 5,
  netcidrmerge: 5,
  numbersrange: 4,
  objectfilter: 15,
  objectfilteridempotent: 1,
  objectget: 15,
  objectkeys: 7,
  objectremove: 18,
  objectremoveidempotent: 1,
  objectremovenonstringkey: 1,
  objectunion: 7,
  objectunionn: 6,
  partialdocconstants: 3,
  partialobjectdoc: 12,
  partialsetdoc: 8,
  'planner-ir': 14,
  refheads: 47,
  regexfind: 3,
  regexfindallstringsubmatch: 6,
  regexisvalid: 1,
  regexmatch: 1,
  regexmatchtemplate: 1,
  regexsplit: 3,
  replacen: 3,
  semvercompare: 4,
  semverisvalid: 1,
  sets: 5,
  strings: 109,
  time: 14,
  topdowndynamicdispatch: 1,
  trim: 2,
  trimleft: 2,
  trimprefix: 1,
  trimright: 2,
  trimspace: 2,
  trimsuffix: 2,
  type: 3,
  typebuiltin: 17,
  typenamebuiltin: 7,
  undos: 8,
  union: 5,
  units: 108,
  urlbuiltins: 11,
  uuid: 8,
  varreferences: 15,
  virtualdocs: 66,
  withkeyword: 75,
  walkbuiltin: 7,
  reachable: 17,
};

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(full);
  }
  return out;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function sortArrays(v: unknown): unknown {
  if (Array.isArray(v))
    return v
      .map(sortArrays)
      .map((x) => [canonical(x), x] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, x]) => x);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortArrays(x)]));
  return v;
}

type Outcome = { ok: true } | { ok: false; why: string };

export function runCase(c: Case): Outcome {
  const sources = (c.modules ?? []).map((source, i) => ({ file: `module-${i}.rego`, source }));
  const compiled = compileModules(sources);
  const wantsError = c.want_error_code !== undefined || c.want_error !== undefined;
  if (compiled.program === undefined) {
    const codes = compiled.diagnostics.map((d) => d.code);
    if (wantsError && c.want_error_code !== undefined && codes.includes(c.want_error_code as never))
      return { ok: true };
    return {
      ok: false,
      why: `compile: ${compiled.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`,
    };
  }
  const planned = planPolicy(compiled.program, { queries: [{ name: 'q', query: c.query }] });
  if (planned.policy === undefined) {
    const codes = planned.diagnostics.map((d) => d.code);
    if (wantsError && c.want_error_code !== undefined && codes.includes(c.want_error_code as never))
      return { ok: true };
    return { ok: false, why: `plan: ${planned.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}` };
  }
  let input: Value | undefined;
  if (c.input_term !== undefined)
    input = termToValue(parseTerm(c.input_term).term ?? { type: 'null', loc: undefined as never });
  else if (c.input !== undefined) input = fromJson(c.input);
  let results: Value[];
  try {
    results = new IrInterpreter(planned.policy, { strictBuiltinErrors: c.strict_error === true }).run('q', {
      ...(input === undefined ? {} : { input }),
      data: fromJson(c.data ?? {}),
    });
  } catch (e) {
    if (e instanceof IrEvalError && wantsError) {
      if (c.want_error_code === undefined || c.want_error_code === e.code) return { ok: true };
    }
    return { ok: false, why: `eval: ${e instanceof IrEvalError ? e.code : ''} ${(e as Error).message}` };
  }
  if (wantsError) return { ok: false, why: `wanted error ${c.want_error_code ?? ''} ${c.want_error ?? ''}` };
  const got = results.map((r) => toJson(r));
  const want = c.want_result ?? [];
  // OPA's runner compares sorted bindings with arrays as unordered collections (sets arrive as
  // JSON arrays, whose order says nothing), so arrays are sorted at every depth.
  const norm = (xs: unknown[]): string[] =>
    c.sort_bindings ? xs.map((x) => canonical(sortArrays(x))).sort() : xs.map(canonical);
  const a = norm(got);
  const b = norm(want);
  if (a.length === b.length && a.every((x, i) => x === b[i])) return { ok: true };
  return { ok: false, why: `got ${a.join(' ')} want ${b.join(' ')}` };
}

describe('OPA conformance suite through the IR interpreter', () => {
  if (!existsSync(suiteRoot)) {
    it.skip(`suite not found at ${suiteRoot}; skipping`, () => {});
    return;
  }
  it('keeps every directory at or above its floor', () => {
    const perDir = new Map<string, { pass: number; total: number }>();
    const failures: string[] = [];
    for (const file of yamlFiles(suiteRoot)) {
      const dir = path.relative(suiteRoot, file).split(path.sep)[0] ?? '';
      const doc = parseYaml(readFileSync(file, 'utf8')) as { cases?: Case[] } | null;
      for (const c of doc?.cases ?? []) {
        const stat = perDir.get(dir) ?? { pass: 0, total: 0 };
        perDir.set(dir, stat);
        stat.total++;
        let outcome: Outcome;
        try {
          outcome = runCase(c);
        } catch (e) {
          outcome = { ok: false, why: `crash: ${(e as Error).stack ?? e}` };
        }
        if (outcome.ok) stat.pass++;
        else failures.push(`${c.note}: ${outcome.why}`);
      }
    }
    let pass = 0;
    let total = 0;
    const lines: string[] = [];
    for (const [dir, s] of [...perDir].sort()) {
      pass += s.pass;
      total += s.total;
      lines.push(`${dir} ${s.pass}/${s.total}`);
    }
    console.log(`conformance via IR interpreter: ${pass}/${total}\n${lines.join('\n')}`);
    if (process.env.CONFORMANCE_FAILURES) console.log(failures.join('\n'));
    const below: string[] = [];
    for (const [dir, floor] of Object.entries(FLOORS)) {
      const s = perDir.get(dir);
      if (s !== undefined && s.pass < floor) below.push(`${dir}: ${s.pass} < ${floor}`);
    }
    expect(below).toEqual([]);
  });
});
