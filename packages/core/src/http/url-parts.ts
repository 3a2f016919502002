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
 *
 * The common origin-form target, made only of characters the WHATWG parser leaves as they
 * are and with no dot segment, is split by hand: the parser would return it unchanged, so
 * the result is the same without building (and, for the absolute attempt, throwing from)
 * URL objects. Everything else (absolute-form, authority-form, `*`, dot segments, characters
 * the parser would encode or rewrite, malformed targets) goes through the WHATWG parser as
 * before.
 */
export function parseUrlParts(raw: string, hostHeader: string | undefined): UrlParts {
  const simple = simpleOriginForm(raw);
  if (simple !== undefined) {
    const host = hostHeader === undefined ? NO_HOST : hostOf(hostHeader);
    const path = simple.path.includes('%') ? safeDecode(simple.path) : simple.path;
    return {
      url: simple.query === '' ? simple.path : `${simple.path}?${simple.query}`,
      scheme: '',
      host: host.host,
      port: host.port,
      path,
      query: simple.query === '' ? {} : parseQuery(new URLSearchParams(simple.query)),
    };
  }
  return parseUrlPartsWhatwg(raw, hostHeader);
}

/**
 * The WHATWG parse (absolute URL first, then a request-target against a placeholder origin).
 * Exported for the tests that hold the hand-split fast path to the same answers.
 */
export function parseUrlPartsWhatwg(raw: string, hostHeader: string | undefined): UrlParts {
  // A target starting with `/` is never an absolute URL: skip the attempt (and its throw).
  const absolute = raw.charCodeAt(0) === SLASH ? undefined : tryUrl(raw);
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
  const host = hostHeader === undefined ? NO_HOST : hostOf(hostHeader);
  return {
    url: relative.pathname + relative.search,
    scheme: '',
    host: host.host,
    port: host.port,
    path: safeDecode(relative.pathname),
    query: parseQuery(relative.searchParams),
  };
}

const SLASH = 0x2f;
const QUESTION = 0x3f;

/*
 * Characters the WHATWG parser copies unchanged into a special URL's path: the unreserved
 * ones, sub-delimiters, `:` `@` `/`, and `%` (checked separately to start a valid escape).
 * Left out, so they take the WHATWG path: `\` (read as `/`), `#`, `?` (split on before),
 * space, quotes, `<>`, backtick, braces, `[]^|`, controls and non-ASCII.
 */
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
// In the query, `'` is encoded for special schemes, and `%` is never checked; `/` and `?` are plain.
const QUERY_CHAR = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
// A dot segment in any spelling the parser knows (`.`, `..`, `%2e`, `.%2E` …), a stray `%`
// (kept as is by the parser, but not a valid escape for decodeURIComponent), or `//` at the
// start (that would be a network-path reference, an authority).
const NEEDS_PARSER = /\/\.|%2[eE]|%(?![0-9A-Fa-f]{2})|^\/\//;

function simpleOriginForm(raw: string): { path: string; query: string } | undefined {
  if (raw.charCodeAt(0) !== SLASH) return undefined;
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q + 1);
  if (!PATH_CHAR.test(path) || NEEDS_PARSER.test(path)) return undefined;
  // A second `?` first would be read differently by URLSearchParams (it drops one leading `?`).
  if (query !== '' && (query.charCodeAt(0) === QUESTION || !QUERY_CHAR.test(query))) return undefined;
  return { path, query };
}

interface HostParts {
  host: string;
  port: number | null;
}

const NO_HOST: HostParts = Object.freeze({ host: '', port: null });
/** Host headers repeat (one per virtual host): parsed once each, a few hundred kept. */
const hostCache = new Map<string, HostParts>();
const MAX_HOSTS = 256;

function hostOf(hostHeader: string): HostParts {
  let parts = hostCache.get(hostHeader);
  if (parts !== undefined) return parts;
  const url = tryUrl(`http://${hostHeader.trim()}`);
  parts = Object.freeze({
    host: url && url.pathname === '/' && url.username === '' ? stripBrackets(url.hostname) : '',
    port: url && url.port !== '' ? Number(url.port) : null,
  });
  if (hostCache.size >= MAX_HOSTS) hostCache.delete(hostCache.keys().next().value as string);
  hostCache.set(hostHeader, parts);
  return parts;
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
    if (existing !== undefined && Array.isArray(existing)) existing.push(value);
    else {
      const next = existing === undefined ? value : [existing, value];
      // Plain assignment is much cheaper than defineProperty; only `__proto__` needs the latter.
      if (key === '__proto__') setOwn(query, key, next);
      else query[key] = next;
    }
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
