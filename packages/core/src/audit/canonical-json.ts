/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, `undefined`
 * members dropped, numbers and strings serialised as `JSON.stringify` does. For JSON values
 * this is the RFC 8785 (JCS) form, so a hash over it is the same in any JCS implementation.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
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

function write(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw new TypeError('canonical JSON cannot represent a bigint');
    // Like JSON.stringify: functions and symbols vanish from objects, become null in arrays.
    return JSON.stringify(value) ?? 'null';
  }
  if (seen.has(value)) throw new TypeError('canonical JSON cannot represent a cycle');
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return write(toJson.call(value), seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((v) => write(v, seen)).join(',')}]`;
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      parts.push(`${JSON.stringify(key)}:${write(member, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
}
