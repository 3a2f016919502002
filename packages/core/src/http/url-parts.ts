export interface UrlParts {
  /** The URL as the policy sees it, normalised, with any userinfo password replaced. */
  url: string;
  scheme: string;
  host: string;
  port: number | null;
  path: string;
  query: Record<string, string | string[]>;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443 };
const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';

/**
 * Split a request URL into the parts a policy matches on. Inbound servers see only the
 * request-target (`/v1/x?y=1`): then the scheme is unknown (''), and host and port come from
 * the Host header. The path is percent-decoded after WHATWG normalisation, so `/%61dmin`
 * and `/a/../admin` both read `/admin` to the policy.
 */
export function parseUrlParts(raw: string, hostHeader: string | undefined): UrlParts {
  const absolute = tryUrl(raw);
  if (absolute !== undefined) {
    if (absolute.password !== '') absolute.password = 'REDACTED';
    const scheme = absolute.protocol.replace(/:$/, '');
    return {
      url: absolute.href,
      scheme,
      host: stripBrackets(absolute.hostname),
      port: absolute.port !== '' ? Number(absolute.port) : (DEFAULT_PORTS[scheme] ?? null),
      path: safeDecode(absolute.pathname),
      query: parseQuery(absolute.searchParams),
    };
  }
  const relative = tryUrl(raw, PLACEHOLDER_ORIGIN);
  const host = hostHeader === undefined ? undefined : tryUrl(`http://${hostHeader.trim()}`);
  if (relative === undefined) {
    return {
      url: raw,
      scheme: '',
      host: '',
      port: null,
      path: safeDecode(raw.split('?')[0] ?? ''),
      query: {},
    };
  }
  return {
    url: relative.pathname + relative.search,
    scheme: '',
    host: host && host.pathname === '/' && host.username === '' ? stripBrackets(host.hostname) : '',
    port: host && host.port !== '' ? Number(host.port) : null,
    path: safeDecode(relative.pathname),
    query: parseQuery(relative.searchParams),
  };
}

function tryUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** Plain assignment of `__proto__` would replace the prototype instead of adding a key. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function stripBrackets(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}

function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    if (existing === undefined) setOwn(query, key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else setOwn(query, key, [existing, value]);
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray % is not an error in a request; leave the text as sent.
    return text;
  }
}
