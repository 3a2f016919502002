import * as crypto from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Action } from '../contract.js';

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;
// crypto.hash (node 20.12+) digests in one call, without a Hash object per fingerprint.
const oneShot = (crypto as { hash?: OneShotHash }).hash;

function sha256(text: string): string {
  const hex =
    oneShot !== undefined
      ? oneShot('sha256', text, 'hex')
      : crypto.createHash('sha256').update(text).digest('hex');
  return hex.slice(0, 32);
}

/**
 * The key an approval is filed under and found again by, so a re-run of the same action can
 * pass. SQL: the statements' fingerprints (constants removed) joined by `+`, so re-running a
 * held statement with other literals is covered but a different statement is not; text that
 * did not parse is keyed by its exact text. Shell: the line as written. HTTP: method, URL
 * and body. File: operation, path and target. Absent for `connect`.
 */
export function actionFingerprint(action: Action): string | undefined {
  if (action.sql !== undefined) {
    if (!action.sql.parsed || action.sql.statements.length === 0) return `raw:${sha256(action.sql.raw)}`;
    return action.sql.statements.map((s) => s.fingerprint).join('+');
  }
  if (action.shell !== undefined) return `sh:${sha256(action.shell.raw)}`;
  if (action.http !== undefined) {
    const h = action.http;
    return `http:${sha256(`${h.method} ${h.url}\n${bodyJson(h.body ?? null)}`)}`;
  }
  if (action.file !== undefined) {
    const f = action.file;
    return `file:${sha256(canonicalJson([f.operation, f.path, f.target ?? null]))}`;
  }
  return undefined;
}

/** canonicalJson of an HTTP body: the direct writer for parsed JSON, the general one otherwise. */
function bodyJson(body: unknown): string {
  return writePlain(body, 0) ?? canonicalJson(body);
}

// Deeper values go to the general writer (which recurses the same way).
const MAX_PLAIN_DEPTH = 64;

/**
 * Canonical JSON of a value as JSON.parse makes them (strings, finite numbers, booleans,
 * null, arrays, plain objects); undefined for anything else, which only the general writer
 * knows how to treat (toJSON, undefined members, functions, cycles, class instances).
 */
function writePlain(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_PLAIN_DEPTH) return undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return undefined;
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = writePlain(value[i], depth + 1);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = writePlain(record[key], depth + 1);
    if (member === undefined) return undefined;
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${member}`;
  }
  return `${out}}`;
}
