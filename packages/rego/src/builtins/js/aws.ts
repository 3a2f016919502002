/**
 * providers.aws.sign_req: an `http.send` request object signed with AWS Signature Version 4
 * (header-based, single chunk), as OPA signs it, so a policy can call AWS APIs through
 * http.send. What OPA does that the AWS guide leaves open, and which changes the signature:
 * the method is signed as written (`get`), the path as the URL writes it (empty for
 * `http://host`), the query unsorted as written, and the request's own headers are signed
 * over the ones OPA adds (an `x-amz-content-sha256` the request brings is what is signed,
 * though the computed one is what goes out), except those proxies rewrite.
 */
import { createHash, createHmac } from 'node:crypto';
import { BuiltinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json, type JsonObject, object, typeError } from './args.js';
import { goJson } from './encoding.js';

const NAME = 'providers.aws.sign_req';
const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
/** Headers a proxy may rewrite on the way: never signed. */
const UNSIGNED = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const operandError = (pos: number, reason: string) =>
  new BuiltinError(NAME, 'eval_type_error', `operand ${pos} ${reason}`);

/** A set of names as OPA prints one: `{"a", "b"}`. */
const setText = (names: readonly string[]) =>
  `{${[...names]
    .sort()
    .map((n) => JSON.stringify(n))
    .join(', ')}}`;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Host, path as written and raw query of an absolute URL, as Go's url.Parse splits them. */
function urlParts(url: string): { host: string; path: string; query: string } {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!m) return { host: '', path: url.split(/[?#]/)[0] ?? '', query: /\?([^#]*)/.exec(url)?.[1] ?? '' };
  const authority = m[1] ?? '';
  return { host: authority.slice(authority.lastIndexOf('@') + 1), path: m[2] ?? '', query: m[3] ?? '' };
}

function signRequest(request: unknown, config: unknown, time: unknown): JsonObject {
  const req = object(NAME, request, 1);
  const cfg = object(NAME, config, 2);
  const missingConfig = REQUIRED_CONFIG.filter((k) => !Object.hasOwn(cfg, k));
  if (missingConfig.length > 0)
    throw operandError(2, `missing required AWS config parameters(s): ${setText(missingConfig)}`);
  const badConfig = REQUIRED_CONFIG.filter((k) => typeof cfg[k] !== 'string');
  if (badConfig.length > 0)
    throw operandError(2, `invalid values for required AWS config parameters(s): ${setText(badConfig)}`);
  if (typeof time !== 'number' && typeof time !== 'bigint') throw typeError(NAME, 3, 'number', time);
  const ns = typeof time === 'bigint' ? time : Number.isInteger(time) ? BigInt(time) : undefined;
  if (ns === undefined || ns > 2n ** 63n - 1n || ns < -(2n ** 63n))
    throw operandError(3, 'could not convert time_ns value into a unix timestamp');
  const missing = ['method', 'url'].filter((k) => !Object.hasOwn(req, k));
  if (missing.length > 0)
    throw operandError(1, `missing required request parameters(s): ${setText(missing)}`);
  const headers = req.headers === undefined ? {} : req.headers;
  if (!isObject(headers)) throw typeError(NAME, 0, 'object', headers);
  const invalid = ['method', 'url'].filter((k) => typeof req[k] !== 'string');
  if (invalid.length > 0)
    throw operandError(1, `invalid values for required request parameters(s): ${setText(invalid)}`);
  const unsignedPayload = cfg.disable_payload_signing;
  if (unsignedPayload !== undefined && typeof unsignedPayload !== 'boolean')
    throw operandError(2, "invalid value for 'disable_payload_signing' in AWS config");

  const body =
    req.raw_body !== undefined
      ? typeof req.raw_body === 'string'
        ? req.raw_body
        : ''
      : req.body !== undefined
        ? goJson(req.body as Json)
        : '';
  const service = cfg.aws_service as string;
  const region = cfg.aws_region as string;
  const payload = unsignedPayload === true ? 'UNSIGNED-PAYLOAD' : sha256(Buffer.from(body, 'utf8'));
  const stamp = new Date(Number(ns / 1_000_000n)).toISOString();
  const date = stamp.slice(0, 10).replace(/-/g, '');
  const amzDate = `${date}T${stamp.slice(11, 19).replace(/:/g, '')}Z`;
  const { host, path, query } = urlParts(req.url as string);

  const added: Record<string, string> = { host, 'x-amz-date': amzDate };
  if (service === 's3' || service === 'glacier') added['x-amz-content-sha256'] = payload;
  const token = cfg.aws_session_token;
  if (typeof token === 'string' && token !== '') added['x-amz-security-token'] = token;
  const written: [string, string][] = Object.entries(headers).map(([k, v]) => [
    k,
    typeof v === 'string' ? v : '',
  ]);
  const signed = new Map<string, string>(Object.entries(added));
  for (const [k, v] of written) if (!UNSIGNED.has(k.toLowerCase())) signed.set(k.toLowerCase(), v);
  const names = [...signed.keys()].sort();
  const canonical = [
    req.method as string,
    path,
    query,
    names.map((k) => `${k}:${signed.get(k)}\n`).join(''),
    names.join(';'),
    payload,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${cfg.aws_secret_access_key as string}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');

  const out: JsonObject = {};
  for (const [k, v] of written) out[k] = v;
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${cfg.aws_access_key as string}/${scope},SignedHeaders=${names.join(';')},Signature=${signature}`;
  Object.assign(out, added);
  return { ...req, headers: out };
}

export const AWS_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  [NAME, signRequest as JsBuiltin],
]);
