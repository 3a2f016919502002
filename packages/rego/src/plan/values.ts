/**
 * Rego values for the reference IR interpreter: JSON plus sets, with OPA's total order and
 * structural equality. Numbers are float64 here (the wasm runtime keeps them exact); that is
 * the interpreter's one known departure from OPA's semantics.
 */

export type Value = null | boolean | number | string | Value[] | RegoObject | RegoSet;

export class RegoObject {
  readonly entries = new Map<string, [Value, Value]>();
  get(key: Value): Value | undefined {
    return this.entries.get(valueKey(key))?.[1];
  }
  set(key: Value, value: Value): void {
    this.entries.set(valueKey(key), [key, value]);
  }
  sorted(): [Value, Value][] {
    return [...this.entries.values()].sort((a, b) => compareValues(a[0], b[0]));
  }
}

export class RegoSet {
  readonly items = new Map<string, Value>();
  has(v: Value): boolean {
    return this.items.has(valueKey(v));
  }
  add(v: Value): void {
    this.items.set(valueKey(v), v);
  }
  sorted(): Value[] {
    return [...this.items.values()].sort(compareValues);
  }
}

function rank(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  if (v instanceof RegoObject) return 5;
  return 6;
}

export function typeName(v: Value): string {
  return ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'][rank(v)] ?? 'unknown';
}

/** A canonical string per value, so equal values (1 and 1.0, sets in any order) share one key. */
export function valueKey(v: Value): string {
  if (v === null) return 'n';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return `#${Object.is(v, -0) ? 0 : v}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
  if (v instanceof RegoObject)
    return `{${[...v.entries.keys()]
      .sort()
      .map((k) => `${k}:${valueKey(v.entries.get(k)?.[1] ?? null)}`)
      .join(',')}}`;
  return `<${[...v.items.keys()].sort().join(',')}>`;
}

export function equalValues(a: Value, b: Value): boolean {
  return valueKey(a) === valueKey(b);
}

export function compareValues(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) return compareLists(a, b);
  if (a instanceof RegoObject && b instanceof RegoObject) {
    const ea = a.sorted();
    const eb = b.sorted();
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const [ka, va] = ea[i] ?? [null, null];
      const [kb, vb] = eb[i] ?? [null, null];
      const c = compareValues(ka, kb) || compareValues(va, vb);
      if (c !== 0) return c;
    }
    return ea.length - eb.length;
  }
  if (a instanceof RegoSet && b instanceof RegoSet) return compareLists(a.sorted(), b.sorted());
  return 0;
}

function compareLists(a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i] ?? null, b[i] ?? null);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function fromJson(j: unknown): Value {
  if (j === null || j === undefined) return null;
  if (typeof j === 'boolean' || typeof j === 'number' || typeof j === 'string') return j;
  if (Array.isArray(j)) return j.map(fromJson);
  if (typeof j === 'object') {
    const o = new RegoObject();
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) o.set(k, fromJson(v));
    return o;
  }
  return null;
}

/** JSON as OPA serialises results: sets become sorted arrays, non-string keys their JSON text. */
export function toJson(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof RegoSet) return v.sorted().map(toJson);
  const out: Record<string, unknown> = {};
  for (const [k, val] of v.sorted()) out[typeof k === 'string' ? k : JSON.stringify(toJson(k))] = toJson(val);
  return out;
}

export function deepCopy(v: Value): Value {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(deepCopy);
  if (v instanceof RegoSet) {
    const s = new RegoSet();
    for (const x of v.items.values()) s.add(deepCopy(x));
    return s;
  }
  const o = new RegoObject();
  for (const [k, x] of v.entries.values()) o.set(k, deepCopy(x));
  return o;
}
