/**
 * Runs OPA's conformance cases whose policy is a single call of one builtin on literal, input
 * or data arguments directly against our JS implementation. The suite lives outside the
 * repository (../shared/opa-conformance/v1, or $OPA_CONFORMANCE_DIR); without it the test is
 * skipped. Cases of builtins that run inside the module (impl 'wasm') are skipped when their
 * arguments hold sets, which JSON cannot carry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BuiltinError } from './builtin-error.js';
import { JS_BUILTINS } from './js/index.js';
import { getBuiltinSignature } from './signatures.js';

const dir =
  process.env.OPA_CONFORMANCE_DIR ??
  fileURLToPath(new URL('../../../../../shared/opa-conformance/v1', import.meta.url));

/** Known differences, by case note, each with the reason we accept it. */
const KNOWN: Record<string, string> = {
  'netcidrcontainsmatches/sets of strings':
    'set members key the matches; a set arrives as an array, keyed by index',
  'netcidrcontainsmatches/sets of tuples': 'as above',
  'strings/sprintf: float too big': '2e308 is beyond float64; JSON.parse makes it Infinity before we see it',
};

interface Case {
  note: string;
  query?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  want_result?: { x?: unknown }[];
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
}

class Unsupported extends Error {}

/** A small reader for Rego terms: JSON-like literals, sets, raw strings and input/data refs. */
class TermReader {
  i = 0;
  hasSet = false;
  constructor(
    readonly s: string,
    readonly env: { input: unknown; data: unknown },
  ) {}
  ws() {
    while (/\s/.test(this.s[this.i] ?? '')) this.i++;
  }
  eat(c: string): boolean {
    this.ws();
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  expect(c: string) {
    if (!this.eat(c)) throw new Unsupported(`expected ${c} at ${this.i}`);
  }
  term(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(this.s.slice(this.i));
      if (!m) throw new Unsupported('string');
      this.i += m[0].length;
      return JSON.parse(m[0]);
    }
    if (c === '`') {
      const end = this.s.indexOf('`', this.i + 1);
      const v = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return v;
    }
    if (c === '[') {
      this.i++;
      const out: unknown[] = [];
      if (this.eat(']')) return out;
      do out.push(this.term());
      while (this.eat(','));
      this.expect(']');
      return out;
    }
    if (c === '{') {
      this.i++;
      if (this.eat('}')) return {};
      const first = this.term();
      if (this.eat(':')) {
        const out: Record<string, unknown> = {};
        if (typeof first !== 'string') throw new Unsupported('non-string key');
        out[first] = this.term();
        while (this.eat(',')) {
          const k = this.term();
          if (typeof k !== 'string') throw new Unsupported('non-string key');
          this.expect(':');
          out[k] = this.term();
        }
        this.expect('}');
        return out;
      }
      this.hasSet = true;
      const items = [first];
      while (this.eat(',')) items.push(this.term());
      this.expect('}');
      return items;
    }
    if (this.s.startsWith('set()', this.i)) {
      this.i += 5;
      this.hasSet = true;
      return [];
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return Number(num[0]);
    }
    for (const [w, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(w, this.i) && !/\w/.test(this.s[this.i + w.length] ?? '')) {
        this.i += w.length;
        return v;
      }
    }
    const ref = /^(input|data)((?:\.\w+|\[\d+\]|\["[^"]*"\])*)/.exec(this.s.slice(this.i));
    if (ref) {
      this.i += ref[0].length;
      let v: unknown = ref[1] === 'input' ? this.env.input : this.env.data;
      for (const seg of ref[2]!.match(/\.\w+|\[\d+\]|\["[^"]*"\]/g) ?? []) {
        const key = seg.startsWith('.') ? seg.slice(1) : JSON.parse(seg.slice(1, -1));
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[key];
      }
      if (v === undefined) throw new Unsupported('undefined ref');
      return v;
    }
    throw new Unsupported(`term at ${this.s.slice(this.i, this.i + 10)}`);
  }
}

interface Extracted {
  name: string;
  args: unknown[];
  hasSet: boolean;
  /** Turns the call's result into the value of `p` (undefined: p is undefined). */
  rule: (result: unknown) => unknown;
}

/** Statements of a rule body: newline-separated at bracket depth 0, outside strings. */
function statements(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quote !== undefined) {
      cur += ch;
      if (ch === '\\' && quote === '"') cur += body[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === '`') quote = ch;
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === '\n' && depth === 0) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

const IDENT = /^[A-Za-z_]\w*$/;

/**
 * Interprets the narrow shapes of module the suite uses for builtin cases: a head `p := v`,
 * `p contains v`, `p := [a, b]` or `p` with a body of bindings and exactly one builtin call
 * (with an output argument, or as a binding, or as the body's test).
 */
function extract(c: Case): Extracted | undefined {
  if (!/^data\.(test|generated)\.p = x$/.test(c.query ?? '') || c.modules?.length !== 1) return undefined;
  const src = c.modules[0]!.replace(/^\s*package \w+\s*/, '')
    .replace(/^\s*import .*$/gm, '')
    .trim();
  let head: string;
  let body: string[];
  const direct = /^p :?= ([a-z_][\w.]*\([\s\S]*\))$/.exec(src);
  if (direct) {
    head = 'p := __r__';
    body = [`__r__ := ${direct[1]}`];
  } else {
    const m = /^(p(?: :?= [^{]+?| contains \w+)?)(?: if)? \{([\s\S]*)\}$/.exec(src);
    if (!m) return undefined;
    head = m[1]!.trim();
    body = statements(m[2]!);
  }
  const env: Record<string, unknown> = {};
  const read = (text: string, r: TermReader) => {
    const t = text.trim();
    if (IDENT.test(t) && t !== 'true' && t !== 'false' && t !== 'null' && t !== 'input' && t !== 'data') {
      if (!(t in env)) throw new Unsupported('unbound');
      return env[t];
    }
    const sub = new TermReader(t, r.env);
    const v = sub.term();
    sub.ws();
    if (sub.i !== t.length) throw new Unsupported('trailing');
    if (sub.hasSet) r.hasSet = true;
    return v;
  };
  let call: Extracted | undefined;
  let callOut: string | undefined;
  let boolCall = false;
  const ctx = new TermReader('', { input: c.input, data: c.data ?? {} });
  try {
    for (const st of body) {
      const bind = /^(\w+) :?= ([\s\S]+)$/.exec(st);
      const callM = /^([a-z_][\w.]*)\(([\s\S]*)\)$/.exec(bind ? bind[2]! : st);
      if (callM && JS_BUILTINS.has(callM[1]!)) {
        if (call !== undefined) return undefined;
        const name = callM[1]!;
        const sig = getBuiltinSignature(name);
        const argsText = topLevelArgs(callM[2]!);
        const n = sig?.args.length ?? -1;
        let out: string | undefined;
        if (bind) out = bind[1];
        else if (argsText.length === n + 1) out = argsText.pop()!.trim();
        else if (argsText.length === n) boolCall = true;
        else return undefined;
        if (argsText.length !== n) return undefined;
        const args = argsText.map((a) => read(a, ctx));
        call = { name, args, hasSet: ctx.hasSet, rule: () => undefined };
        callOut = out;
        if (out !== undefined) env[out] = Symbol.for('result');
        continue;
      }
      if (bind && call === undefined) {
        env[bind[1]!] = read(bind[2]!, ctx);
        continue;
      }
      const alias = /^(\w+) = (\w+)$/.exec(st);
      if (alias && call !== undefined && env[alias[2]!] === Symbol.for('result')) {
        env[alias[1]!] = Symbol.for('result');
        continue;
      }
      return undefined;
    }
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  if (call === undefined) return undefined;
  call.hasSet = ctx.hasSet;
  const isResult = (v: string) => env[v] === Symbol.for('result');
  if (head === 'p') {
    if (!boolCall) return undefined;
    call.rule = (r) => (r === undefined || r === false ? undefined : true);
    return call;
  }
  if (callOut === undefined) return undefined;
  const contains = /^p contains (\w+)$/.exec(head);
  if (contains && isResult(contains[1]!)) {
    call.rule = (r) => (r === undefined ? [] : [r]);
    return call;
  }
  const value = /^p :?= (\w+)$/.exec(head);
  if (value && isResult(value[1]!)) {
    call.rule = (r) => r;
    return call;
  }
  return undefined;
}

/** Split call arguments at top-level commas. */
function topLevelArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      cur += ch;
      if (ch === '\\' && quote === '"') cur += text[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === '`') quote = ch;
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

function loadCases(): { file: string; c: Case; e: Extracted }[] {
  const out: { file: string; c: Case; e: Extracted }[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.yaml')) {
        const doc = parseYaml(readFileSync(p, 'utf8')) as { cases?: Case[] } | null;
        for (const c of doc?.cases ?? []) {
          const e = extract(c);
          if (e === undefined) continue;
          if (e.hasSet && getBuiltinSignature(e.name)?.impl === 'wasm') continue;
          out.push({ file: p.slice(dir.length + 1), c, e });
        }
      }
    }
  };
  walk(dir);
  return out;
}

const present = existsSync(dir);

describe.skipIf(!present)('OPA conformance cases on JS builtins', () => {
  const cases = present ? loadCases() : [];

  it('extracts a meaningful number of cases', () => {
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases.map((x) => [`${x.c.note} (${x.file})`, x] as const))('%s', (_label, { c, e }) => {
    if (KNOWN[c.note] !== undefined) return;
    const fn = JS_BUILTINS.get(e.name)!;
    if (c.want_error_code !== undefined || c.want_error !== undefined) {
      if (c.want_error_code?.startsWith('rego_')) return;
      let thrown: unknown;
      try {
        fn(...e.args);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, 'expected an error').toBeInstanceOf(BuiltinError);
      if (c.want_error_code !== undefined) expect((thrown as BuiltinError).code).toBe(c.want_error_code);
      return;
    }
    let result: unknown;
    try {
      result = fn(...e.args);
    } catch (err) {
      // Without strict builtin errors OPA treats a failing call as undefined.
      if (err instanceof BuiltinError && c.strict_error !== true) result = undefined;
      else throw err;
    }
    const value = e.rule(result);
    const want = c.want_result ?? [];
    if (want.length === 0) {
      expect(value === undefined || (Array.isArray(value) && value.length === 0)).toBe(true);
      return;
    }
    expect(normalize(value)).toEqual(want[0]?.x);
  });
});
