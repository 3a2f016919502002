/**
 * Result-set comparison as OPA's conformance runner does it: a result set is a set of binding
 * objects (order does not matter), numbers compare by value (1 and 1.0 are one number), and
 * with `sort_bindings` every array-valued binding is compared as sorted (sets come back as
 * arrays, in whatever order the engine produced).
 */

/** Canonical text of a JSON value: sorted keys, numbers by value. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
    if (typeof value === 'bigint') return value.toString();
    return JSON.stringify(value) ?? 'undefined';
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

function sortedBinding(binding: unknown): unknown {
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) return binding;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(binding)) {
    out[k] = Array.isArray(v)
      ? [...v].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0))
      : v;
  }
  return out;
}

export function sameResultSet(
  actual: readonly unknown[],
  expected: readonly unknown[],
  sortBindings: boolean,
): boolean {
  const norm = (rs: readonly unknown[]) =>
    rs
      .map((b) => canonical(sortBindings ? sortedBinding(b) : b))
      .sort()
      .join('\n');
  return norm(actual) === norm(expected);
}
