/**
 * Hop-by-hop header fields (RFC 9110 §7.6.1): they describe one connection, so a proxy drops
 * them, together with every field the Connection header names. `proxy-authenticate` and
 * `proxy-authorization` are the proxy's own business; `keep-alive` and `proxy-connection`
 * are the legacy spellings clients still send.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

type HeaderValue = string | string[] | number | undefined;

/** The end-to-end fields of `headers`, without `drop` (lower-case names) and hop-by-hop ones. */
export function endToEndHeaders(
  headers: Record<string, HeaderValue>,
  drop: ReadonlySet<string> = new Set(),
): Record<string, string | string[]> {
  const named = new Set<string>();
  const connection = headers.connection;
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    if (typeof value !== 'string') continue;
    for (const name of value.split(',')) named.add(name.trim().toLowerCase());
  }
  const out: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || drop.has(name)) continue;
    // defineProperty, so a field named __proto__ is a field and not a prototype.
    Object.defineProperty(out, name, {
      value: typeof value === 'number' ? String(value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
