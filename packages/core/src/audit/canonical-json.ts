/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, `undefined`
 * members dropped, numbers and strings serialised as `JSON.stringify` does. For JSON values
 * this is the RFC 8785 (JCS) form, so a hash over it is the same in any JCS implementation.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

/**
 * The canonical JSON of every value canonicalSnapshot made. Those values are deep-frozen
 * copies of plain data, so their JSON cannot go stale. An audit log writes the same masks,
 * resource and subject in record after record; a policy's nine masks alone are half the
 * native serialiser's time per record (benchmarks/pg/README.md, ninth session).
 */
const snapshots = new WeakMap<object, string>();

/**
 * A deep-frozen copy of `value` as JSON (what `JSON.parse(canonicalJson(value))` gives),
 * whose canonical JSON is kept: canonicalJson and the audit chain write it without
 * serialising it again. Throws as canonicalJson does.
 */
export function canonicalSnapshot<T>(value: T): T {
  const json = canonicalJson(value);
  const copy = JSON.parse(json) as T;
  if (copy !== null && typeof copy === 'object') {
    deepFreeze(copy);
    snapshots.set(copy, json);
  }
  return copy;
}

/** The kept canonical JSON of a value canonicalSnapshot made, else undefined. */
export function snapshotJson(value: object): string | undefined {
  return snapshots.get(value);
}

function deepFreeze(value: object): void {
  for (const member of Object.values(value)) {
    if (member !== null && typeof member === 'object') deepFreeze(member);
  }
  Object.freeze(value);
}

/**
 * The members of a plain object as canonical JSON, in canonical order: `[key as JSON, value
 * as JSON, key]`. Joined as `{k:v,…}` they are `canonicalJson(value)`; kept apart, one
 * serialisation can be joined with and without another member (an audit record's hash).
 * Undefined for what is not a plain object with no `toJSON` (use canonicalJson for those).
 */
export function canonicalMembers(value: object): [string, string, string][] | undefined {
  if (Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const seen = new Set<object>([value]);
  const members: [string, string, string][] = [];
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    members.push([JSON.stringify(key), write(member, seen), key]);
  }
  return members;
}

/** `{k:v,…}` of members from canonicalMembers. */
export function joinCanonicalMembers(members: readonly [string, string, string][]): string {
  let out = '{';
  for (let i = 0; i < members.length; i++) {
    const m = members[i] as [string, string, string];
    out += `${i > 0 ? ',' : ''}${m[0]}:${m[1]}`;
  }
  return `${out}}`;
}

/**
 * `JSON.stringify(value)` when that already is canonical JSON (a record built with its keys
 * in sorted order), which is several times faster than sorting and joining in JavaScript;
 * otherwise undefined.
 */
export function orderedJson(value: object): string | undefined {
  return inCanonicalOrder(value, 0) ? JSON.stringify(value) : undefined;
}

/**
 * Deeper than this, `inCanonicalOrder` gives up and the general path (which tracks what it
 * has seen) serialises the value; that also keeps a cycle from recursing without end.
 */
const MAX_ORDERED_DEPTH = 32;

/**
 * Whether `JSON.stringify(value)` already is the canonical JSON of `value`: every object on
 * the way is a plain object (or null-prototype) without `toJSON` whose own keys come in
 * sorted order, arrays included, and nothing is a bigint. Records built with sorted keys,
 * and anything parsed from canonical JSON, pass.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (depth > MAX_ORDERED_DEPTH) return false;
  if (Array.isArray(value)) {
    if (
      Object.getPrototypeOf(value) !== Array.prototype ||
      typeof (value as { toJSON?: unknown }).toJSON === 'function'
    )
      return false;
    for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    return false;
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) >= (keys[i] as string)) return false;
  for (let i = 0; i < keys.length; i++) {
    if (!inCanonicalOrder((value as Record<string, unknown>)[keys[i] as string], depth + 1)) return false;
  }
  return true;
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw new TypeError('canonical JSON cannot represent a bigint');
    // Like JSON.stringify: functions and symbols vanish from objects, become null in arrays.
    return JSON.stringify(value) ?? 'null';
  }
  if (seen.has(value)) throw new TypeError('canonical JSON cannot represent a cycle');
  const kept = snapshots.get(value);
  if (kept !== undefined) return kept;
  if (inCanonicalOrder(value, 0)) return JSON.stringify(value);
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return write(toJson.call(value), seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      // An index loop, not map: a hole is null, as JSON.stringify writes it.
      let out = '[';
      for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${write(value[i], seen)}`;
      return `${out}]`;
    }
    let out = '{';
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${write(member, seen)}`;
    }
    return `${out}}`;
  } finally {
    seen.delete(value);
  }
}
