import { setOwn } from './url-parts.js';

/** Header shapes accepted from adapters: a plain record (node's IncomingHttpHeaders), pairs, or a fetch `Headers`. */
export type HttpHeadersInit =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

/** Lower-case every name and join repeated headers with ", " (RFC 9110 §5.3). */
export function normalizeHeaders(init: HttpHeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined || init === null) return out;
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of init as Iterable<readonly [string, string]>)
      addHeader(out, name, String(value));
    return out;
  }
  const record = init as Readonly<Record<string, string | number | readonly string[] | undefined>>;
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) addHeader(out, name, String(v));
    else addHeader(out, name, typeof value === 'string' ? value : String(value));
  }
  return out;
}

// A module function rather than a closure made per request.
function addHeader(out: Record<string, string>, name: string, value: string): void {
  const key = name.toLowerCase();
  const existing = Object.hasOwn(out, key) ? out[key] : undefined;
  const joined = existing === undefined ? value : `${existing}, ${value}`;
  // Plain assignment is much cheaper than defineProperty; only `__proto__` needs the latter.
  if (key === '__proto__') setOwn(out, key, joined);
  else out[key] = joined;
}
