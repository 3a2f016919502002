/**
 * Builtins for the reference IR interpreter: the operators and the common collection, string
 * and type builtins the language-level conformance cases use. Builtin-specific behaviour
 * (crypto, JWT, regex, time …) is the JS builtin library's business, not the interpreter's.
 */
import { BuiltinError } from '../builtins/builtin-error.js';
import type { BuiltinType } from '../builtins/builtin-types.js';
import { JS_BUILTINS } from '../builtins/js/index.js';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import {
  compareValues,
  equalValues,
  fromJson,
  RegoObject,
  RegoSet,
  toJson,
  typeName,
  type Value,
} from './values.js';

export type BuiltinImpl = (...args: Value[]) => Value | undefined;

export class IrEvalError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'IrEvalError';
    this.code = code;
  }
}

function typeError(name: string, i: number, want: string, got: Value): never {
  throw new IrEvalError('eval_type_error', `${name}: operand ${i} must be ${want} but got ${typeName(got)}`);
}

function num(name: string, i: number, v: Value | undefined): number {
  if (typeof v !== 'number') return typeError(name, i, 'number', v ?? null);
  return v;
}

function str(name: string, i: number, v: Value | undefined): string {
  if (typeof v !== 'string') return typeError(name, i, 'string', v ?? null);
  return v;
}

function collection(v: Value): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  if (v instanceof RegoObject) return v.sorted().map(([, x]) => x);
  return undefined;
}

function setOf(items: Iterable<Value>): RegoSet {
  const s = new RegoSet();
  for (const v of items) s.add(v);
  return s;
}

function arith(name: string, f: (a: number, b: number) => number | undefined): BuiltinImpl {
  return (a, b) => f(num(name, 1, a), num(name, 2, b));
}

function setOp(name: string, f: (a: RegoSet, b: RegoSet) => RegoSet): BuiltinImpl {
  return (a, b) => {
    if (!(a instanceof RegoSet)) return typeError(name, 1, 'set', a ?? null);
    if (!(b instanceof RegoSet)) return typeError(name, 2, 'set', b ?? null);
    return f(a, b);
  };
}

function members(v: Value): [Value, Value][] {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof RegoSet) return v.sorted().map((x) => [x, x]);
  if (v instanceof RegoObject) return v.sorted();
  return [];
}

function format(v: Value): string {
  return typeof v === 'string' ? v : JSON.stringify(toJson(v));
}

function aggregate(name: string, f: (xs: Value[]) => Value | undefined): BuiltinImpl {
  return (c) => {
    const xs = collection(c ?? null);
    if (xs === undefined) return typeError(name, 1, 'any of array, object, set', c ?? null);
    return f(xs);
  };
}

const OWN_BUILTINS: ReadonlyMap<string, BuiltinImpl> = new Map<string, BuiltinImpl>([
  ['equal', (a, b) => equalValues(a ?? null, b ?? null)],
  ['neq', (a, b) => !equalValues(a ?? null, b ?? null)],
  ['lt', (a, b) => compareValues(a ?? null, b ?? null) < 0],
  ['lte', (a, b) => compareValues(a ?? null, b ?? null) <= 0],
  ['gt', (a, b) => compareValues(a ?? null, b ?? null) > 0],
  ['gte', (a, b) => compareValues(a ?? null, b ?? null) >= 0],
  ['plus', arith('plus', (a, b) => a + b)],
  ['mul', arith('mul', (a, b) => a * b)],
  [
    'div',
    arith('div', (a, b) => {
      if (b === 0) throw new IrEvalError('eval_builtin_error', 'div: divide by zero');
      return a / b;
    }),
  ],
  [
    'rem',
    arith('rem', (a, b) => {
      if (!Number.isInteger(a) || !Number.isInteger(b))
        throw new IrEvalError('eval_builtin_error', 'rem: modulo on floating-point number');
      if (b === 0) throw new IrEvalError('eval_builtin_error', 'rem: modulo by zero');
      return a % b;
    }),
  ],
  [
    'minus',
    (a, b) => {
      if (a instanceof RegoSet && b instanceof RegoSet) return setOf(a.sorted().filter((x) => !b.has(x)));
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      if (typeof a !== 'number' && !(a instanceof RegoSet))
        return typeError('minus', 1, 'any of number, set', a ?? null);
      return typeError('minus', 2, typeName(a ?? null), b ?? null);
    },
  ],
  // The interpreter runs without an OPA runtime configuration, so it reports none.
  ['opa.runtime', () => new RegoObject()],
  // The relation `walk`: every node with its path, node first; the plan scans the pairs.
  [
    'walk',
    (x) => {
      const out: Value[] = [];
      const visit = (path: Value[], v: Value) => {
        out.push([path, v]);
        for (const [k, c] of members(v)) visit([...path, k], c);
      };
      visit([], x ?? null);
      return out;
    },
  ],
  ['and', setOp('and', (a, b) => setOf(a.sorted().filter((x) => b.has(x))))],
  ['or', setOp('or', (a, b) => setOf([...a.sorted(), ...b.sorted()]))],
  ['abs', (a) => Math.abs(num('abs', 1, a))],
  ['round', (a) => Math.sign(num('round', 1, a)) * Math.round(Math.abs(num('round', 1, a)))],
  ['ceil', (a) => Math.ceil(num('ceil', 1, a))],
  ['floor', (a) => Math.floor(num('floor', 1, a))],
  [
    'count',
    (c) => {
      if (typeof c === 'string') return [...c].length;
      const xs = collection(c ?? null);
      if (xs === undefined) return typeError('count', 1, 'any of array, object, set, string', c ?? null);
      return xs.length;
    },
  ],
  ['sum', aggregate('sum', (xs) => xs.reduce<number>((s, x) => s + num('sum', 1, x), 0))],
  ['product', aggregate('product', (xs) => xs.reduce<number>((s, x) => s * num('product', 1, x), 1))],
  ['max', aggregate('max', (xs) => (xs.length === 0 ? undefined : [...xs].sort(compareValues).at(-1)))],
  ['min', aggregate('min', (xs) => (xs.length === 0 ? undefined : [...xs].sort(compareValues)[0]))],
  ['sort', aggregate('sort', (xs) => [...xs].sort(compareValues))],
  [
    'concat',
    (sep, c) => {
      const xs = collection(c ?? null);
      if (xs === undefined) return typeError('concat', 2, 'any of array, set', c ?? null);
      return xs.map((x, i) => str('concat', i + 1, x)).join(str('concat', 1, sep));
    },
  ],
  ['contains', (a, b) => str('contains', 1, a).includes(str('contains', 2, b))],
  ['startswith', (a, b) => str('startswith', 1, a).startsWith(str('startswith', 2, b))],
  ['endswith', (a, b) => str('endswith', 1, a).endsWith(str('endswith', 2, b))],
  ['lower', (a) => str('lower', 1, a).toLowerCase()],
  ['upper', (a) => str('upper', 1, a).toUpperCase()],
  ['split', (a, b) => str('split', 1, a).split(str('split', 2, b))],
  ['trim_space', (a) => str('trim_space', 1, a).trim()],
  ['indexof', (a, b) => str('indexof', 1, a).indexOf(str('indexof', 2, b))],
  [
    'replace',
    (a, b, c) =>
      str('replace', 1, a)
        .split(str('replace', 2, b))
        .join(str('replace', 3, c)),
  ],
  [
    'substring',
    (s, start, len) => {
      const chars = [...str('substring', 1, s)];
      const from = num('substring', 2, start);
      const n = num('substring', 3, len);
      return (n < 0 ? chars.slice(from) : chars.slice(from, from + n)).join('');
    },
  ],
  [
    'sprintf',
    (f, args) => {
      const xs = collection(args ?? null) ?? [];
      let i = 0;
      return str('sprintf', 1, f).replace(/%([vsd%])/g, (_m, c: string) =>
        c === '%' ? '%' : format(xs[i++] ?? null),
      );
    },
  ],
  [
    'to_number',
    (v) => {
      if (typeof v === 'number') return v;
      if (v === null) return 0;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') {
        const n = Number(v);
        if (Number.isNaN(n) || v.trim() === '')
          throw new IrEvalError('eval_builtin_error', `strconv.ParseFloat: parsing "${v}": invalid syntax`);
        return n;
      }
      return typeError('to_number', 1, 'any of boolean, null, number, string', v ?? null);
    },
  ],
  ['type_name', (v) => typeName(v ?? null)],
  ['is_number', (v) => typeof v === 'number'],
  ['is_string', (v) => typeof v === 'string'],
  ['is_boolean', (v) => typeof v === 'boolean'],
  ['is_array', (v) => Array.isArray(v)],
  ['is_set', (v) => v instanceof RegoSet],
  ['is_object', (v) => v instanceof RegoObject],
  ['is_null', (v) => v === null],
  ['internal.member_2', (x, c) => members(c ?? null).some(([, v]) => equalValues(v, x ?? null))],
  [
    'internal.member_3',
    (k, x, c) =>
      members(c ?? null).some(([key, v]) => equalValues(key, k ?? null) && equalValues(v, x ?? null)),
  ],
  [
    'object.get',
    (o, k, d) => {
      if (!(o instanceof RegoObject)) return typeError('object.get', 1, 'object', o ?? null);
      if (Array.isArray(k)) {
        let cur: Value | undefined = o;
        for (const p of k) {
          if (cur instanceof RegoObject) cur = cur.get(p);
          else if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
          else if (cur instanceof RegoSet) cur = cur.has(p) ? p : undefined;
          else cur = undefined;
          if (cur === undefined) return d;
        }
        return cur;
      }
      return o.get(k ?? null) ?? d;
    },
  ],
  [
    'object.keys',
    (o) =>
      o instanceof RegoObject
        ? setOf(o.sorted().map(([k]) => k))
        : typeError('object.keys', 1, 'object', o ?? null),
  ],
  [
    'array.concat',
    (a, b) => {
      if (!Array.isArray(a)) return typeError('array.concat', 1, 'array', a ?? null);
      if (!Array.isArray(b)) return typeError('array.concat', 2, 'array', b ?? null);
      return [...a, ...b];
    },
  ],
  [
    'array.slice',
    (a, s, e) => {
      if (!Array.isArray(a)) return typeError('array.slice', 1, 'array', a ?? null);
      const start = Math.max(0, num('array.slice', 2, s));
      const end = Math.min(a.length, num('array.slice', 3, e));
      return start >= end ? [] : a.slice(start, end);
    },
  ],
  [
    'numbers.range',
    (a, b) => {
      const x = num('numbers.range', 1, a);
      const y = num('numbers.range', 2, b);
      const out: number[] = [];
      if (x <= y) for (let i = x; i <= y; i++) out.push(i);
      else for (let i = x; i >= y; i--) out.push(i);
      return out;
    },
  ],
  [
    'union',
    (s) => {
      if (!(s instanceof RegoSet)) return typeError('union', 1, 'set', s ?? null);
      return setOf(s.sorted().flatMap((x) => (x instanceof RegoSet ? x.sorted() : [])));
    },
  ],
  [
    'intersection',
    (s) => {
      if (!(s instanceof RegoSet)) return typeError('intersection', 1, 'set', s ?? null);
      const sets = s.sorted().filter((x): x is RegoSet => x instanceof RegoSet);
      const [first, ...rest] = sets;
      if (first === undefined) return new RegoSet();
      return setOf(first.sorted().filter((x) => rest.every((r) => r.has(x))));
    },
  ],
  ['json.marshal', (v) => JSON.stringify(toJson(v ?? null))],
  ['json.unmarshal', (v) => fromJson(JSON.parse(str('json.unmarshal', 1, v)))],
  ['print', () => true],
]);

function fromJsResult(v: unknown, type: BuiltinType | undefined): Value {
  if (typeof v === 'bigint') return Number(v);
  if (type?.kind === 'set' && Array.isArray(v)) return setOf(v.map((x) => fromJsResult(x, type.of)));
  if (Array.isArray(v)) return v.map((x) => fromJsResult(x, type?.kind === 'array' ? type.of : undefined));
  if (v !== null && typeof v === 'object') {
    const o = new RegoObject();
    const valueType = type?.kind === 'object' ? type.value : undefined;
    for (const [k, x] of Object.entries(v)) o.set(k, fromJsResult(x, valueType));
    return o;
  }
  return fromJson(v);
}

/** A JS library builtin seen through interpreter values (sets travel as arrays, as over opa_builtinN). */
function bridge(name: string, impl: (...args: unknown[]) => unknown): BuiltinImpl {
  const result = BUILTIN_SIGNATURES.get(name)?.result;
  return (...args) => {
    let out: unknown;
    try {
      out = impl(...args.map((a) => toJson(a)));
    } catch (e) {
      if (e instanceof BuiltinError) throw new IrEvalError(e.code, e.message);
      throw e;
    }
    return out === undefined ? undefined : fromJsResult(out, result);
  };
}

/**
 * The interpreter's builtins: the JS library's for builtins that run in JS under opa-wasm too
 * (so both paths share one implementation), the interpreter's own for operators and builtins
 * whose answer depends on sets, and the library's reference versions for anything else.
 */
export const INTERPRETER_BUILTINS: ReadonlyMap<string, BuiltinImpl> = (() => {
  const out = new Map<string, BuiltinImpl>();
  for (const [name, impl] of JS_BUILTINS) out.set(name, bridge(name, impl));
  for (const [name, impl] of OWN_BUILTINS) {
    if (BUILTIN_SIGNATURES.get(name)?.impl === 'js' && out.has(name)) continue;
    out.set(name, impl);
  }
  return out;
})();
