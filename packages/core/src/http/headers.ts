import { setOwn } from './url-parts.js';

/** Header shapes accepted from adapters: a plain record (node's IncomingHttpHeaders), pairs, or a fetch `Headers`. */
export type HttpHeadersInit =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

/** Lower-case every name and join repeated headers with ", " (RFC 9110 §5.3). */
export function normalizeHeaders(init: HttpHeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined || init === null) return out;
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, existing === undefined ? value : `${existing}, ${value}`);
  };
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of init as Iterable<readonly [string, string]>) add(name, String(value));
    return out;
  }
  for (const [name, value] of Object.entries(init)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) add(name, String(v));
    else add(name, String(value));
  }
  return out;
}
