/**
 * object.* and json.filter/remove/patch. They run inside the module (rule 3 in
 * signatures.ts: sets nested in their inputs must survive); these JS versions serve constant
 * folding and tests, and treat arrays as arrays.
 */
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json, type JsonObject, object, setOwn, typeError } from './args.js';
import { deepClone, equalValues, toSetArray } from './value.js';

/** Keys named by an array, a set (as array) or an object's keys. */
function keyList(builtin: string, keys: unknown): string[] {
  if (Array.isArray(keys)) return keys.map((k) => (typeof k === 'string' ? k : JSON.stringify(k)));
  if (isObject(keys)) return Object.keys(keys);
  throw typeError(builtin, 2, 'one of {object, set, array}', keys);
}

/** Term.Find: descend through objects by key and arrays by integer index. */
function find(value: Json, path: readonly Json[]): Json | undefined {
  let cur: Json | undefined = value;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      if (typeof seg !== 'number' || !Number.isInteger(seg)) return undefined;
      cur = cur[seg];
    } else if (isObject(cur)) {
      const k = typeof seg === 'string' ? seg : JSON.stringify(seg);
      cur = Object.hasOwn(cur, k) ? cur[k] : undefined;
    } else {
      return undefined;
    }
  }
  return cur;
}

function get(o: unknown, key: unknown, fallback: unknown): unknown {
  const obj = object('object.get', o, 1);
  const path = Array.isArray(key) ? (key as Json[]) : [key as Json];
  return find(obj, path) ?? fallback;
}

function union(a: Json, b: Json): Json {
  if (!isObject(a) || !isObject(b)) return b;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(a)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(b)) setOwn(out, k, Object.hasOwn(a, k) ? union(a[k]!, v) : v);
  return out;
}

function unionN(list: unknown): Json {
  if (!Array.isArray(list)) throw typeError('object.union_n', 1, 'array', list);
  let acc: Json = {};
  for (const o of list) acc = union(acc, object('object.union_n', o, 1));
  return acc;
}

function subset(sup: Json, sub: Json): boolean {
  if (isObject(sup) && isObject(sub)) {
    return Object.entries(sub).every(([k, v]) => {
      if (!Object.hasOwn(sup, k)) return false;
      const s = sup[k]!;
      return isObject(s) && isObject(v) ? subset(s, v) : equalValues(s, v);
    });
  }
  if (Array.isArray(sup) && Array.isArray(sub)) {
    // Arrays must appear contiguously, in order (sets cannot be told apart here).
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) {
      if (sub.every((v, k) => equalValues(sup[i + k]!, v))) return true;
    }
    return false;
  }
  return false;
}

/** A JSON-pointer-like path: "a/b/0" (leading slash optional, ~0 ~1 escapes) or ["a", "b", 0]. */
function parsePath(builtin: string, p: Json): string[] {
  if (typeof p === 'string') {
    const trimmed = p.replace(/^\/+/, '');
    if (trimmed === '') return [];
    return trimmed.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return p.map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
  throw typeError(builtin, 2, 'one of {set, array} containing string paths or array of path segments', p);
}

interface PathTree {
  leaf: boolean;
  children: Map<string, PathTree>;
}

function pathTree(builtin: string, paths: unknown): PathTree {
  if (!Array.isArray(paths)) throw typeError(builtin, 2, 'one of {set, array}', paths);
  const root: PathTree = { leaf: false, children: new Map() };
  for (const p of paths as Json[]) {
    let node = root;
    for (const seg of parsePath(builtin, p)) {
      let next = node.children.get(seg);
      if (next === undefined) {
        next = { leaf: false, children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.leaf = true;
  }
  return root;
}

function filter(v: Json, t: PathTree): Json | undefined {
  if (t.leaf) return v;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, child] of t.children) {
      if (!Object.hasOwn(v, k)) continue;
      const f = filter(v[k]!, child);
      if (f !== undefined) setOwn(out, k, f);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Json[] = [];
    v.forEach((x, i) => {
      const child = t.children.get(String(i));
      if (child === undefined) return;
      const f = filter(x, child);
      if (f !== undefined) out.push(f);
    });
    return out;
  }
  return undefined;
}

function remove(v: Json, t: PathTree): Json | undefined {
  if (t.leaf) return undefined;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const child = t.children.get(k);
      if (child === undefined) setOwn(out, k, x);
      else {
        const r = remove(x, child);
        if (r !== undefined) setOwn(out, k, r);
      }
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Json[] = [];
    v.forEach((x, i) => {
      const child = t.children.get(String(i));
      if (child === undefined) out.push(x);
      else {
        const r = remove(x, child);
        if (r !== undefined) out.push(r);
      }
    });
    return out;
  }
  return v;
}

/** RFC 6902. A failing operation (missing path, failed test) makes the call undefined. */
function patch(doc: unknown, ops: unknown): Json | undefined {
  if (!Array.isArray(ops)) throw typeError('json.patch', 2, 'array', ops);
  let cur: Json = deepClone(doc as Json);
  for (const op of ops as Json[]) {
    if (!isObject(op)) throw typeError('json.patch', 2, 'array[object]', op);
    const path = op.path;
    if (path === undefined) return undefined;
    const segs = parsePath('json.patch', path);
    const next = applyOp(cur, op, segs);
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

function parentOf(doc: Json, segs: readonly string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(s) ? cur[Number(s)] : undefined;
    else if (isObject(cur)) cur = Object.hasOwn(cur, s) ? cur[s] : undefined;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function getAt(doc: Json, segs: readonly string[]): Json | undefined {
  if (segs.length === 0) return doc;
  const parent = parentOf(doc, segs);
  const last = segs[segs.length - 1]!;
  if (Array.isArray(parent)) return /^\d+$/.test(last) ? parent[Number(last)] : undefined;
  if (isObject(parent)) return Object.hasOwn(parent, last) ? parent[last] : undefined;
  return undefined;
}

function addAt(doc: Json, segs: readonly string[], value: Json, replace: boolean): Json | undefined {
  if (segs.length === 0) return value;
  const parent = parentOf(doc, segs);
  const last = segs[segs.length - 1]!;
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : /^\d+$/.test(last) ? Number(last) : -1;
    if (idx < 0 || idx > parent.length || (replace && idx >= parent.length)) return undefined;
    parent.splice(idx, replace ? 1 : 0, value);
    return doc;
  }
  if (isObject(parent)) {
    if (replace && !Object.hasOwn(parent, last)) return undefined;
    setOwn(parent, last, value);
    return doc;
  }
  return undefined;
}

function removeAt(doc: Json, segs: readonly string[]): Json | undefined {
  if (segs.length === 0) return undefined;
  const parent = parentOf(doc, segs);
  const last = segs[segs.length - 1]!;
  if (Array.isArray(parent)) {
    if (!/^\d+$/.test(last) || Number(last) >= parent.length) return undefined;
    parent.splice(Number(last), 1);
    return doc;
  }
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
    return doc;
  }
  return undefined;
}

function applyOp(doc: Json, op: JsonObject, segs: string[]): Json | undefined {
  switch (op.op) {
    case 'add':
      return op.value === undefined ? undefined : addAt(doc, segs, deepClone(op.value), false);
    case 'replace':
      return op.value === undefined ? undefined : addAt(doc, segs, deepClone(op.value), true);
    case 'remove':
      return removeAt(doc, segs);
    case 'test': {
      const v = getAt(doc, segs);
      return v !== undefined && op.value !== undefined && equalValues(v, op.value) ? doc : undefined;
    }
    case 'move':
    case 'copy': {
      if (op.from === undefined) return undefined;
      const from = parsePath('json.patch', op.from);
      const v = getAt(doc, from);
      if (v === undefined) return undefined;
      const moved = op.op === 'move' ? removeAt(doc, from) : doc;
      return moved === undefined ? undefined : addAt(moved, segs, deepClone(v), false);
    }
    default:
      return undefined;
  }
}

export const OBJECT_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['object.get', get],
  ['object.keys', (o) => toSetArray(Object.keys(object('object.keys', o, 1)))],
  [
    'object.remove',
    (o, keys) => {
      const obj = object('object.remove', o, 1);
      const drop = new Set(keyList('object.remove', keys));
      return Object.fromEntries(Object.entries(obj).filter(([k]) => !drop.has(k)));
    },
  ],
  [
    'object.filter',
    (o, keys) => {
      const obj = object('object.filter', o, 1);
      const keep = new Set(keyList('object.filter', keys));
      return Object.fromEntries(Object.entries(obj).filter(([k]) => keep.has(k)));
    },
  ],
  ['object.union', (a, b) => union(object('object.union', a, 1), object('object.union', b, 2))],
  ['object.union_n', unionN],
  [
    'object.subset',
    (sup, sub) => {
      for (const [v, pos] of [
        [sup, 1],
        [sub, 2],
      ] as const) {
        if (!isObject(v) && !Array.isArray(v))
          throw typeError('object.subset', pos, 'one of {object, set, array}', v);
      }
      return subset(sup as Json, sub as Json);
    },
  ],
  ['json.filter', (o, paths) => filter(object('json.filter', o, 1), pathTree('json.filter', paths)) ?? {}],
  ['json.remove', (o, paths) => remove(object('json.remove', o, 1), pathTree('json.remove', paths)) ?? {}],
  ['json.patch', patch],
]);
