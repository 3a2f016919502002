/**
 * The input document a policy sees, byte for byte, for representative requests of every
 * kind, as the engine hands it to the evaluator. The JSON file was written by the engine
 * before the per-decision fast paths (formatted-time reuse, direct canonical JSON for the
 * HTTP fingerprint, hand-split headers and query); any change to a document is a change to
 * the contract and must be deliberate.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, staticEvaluator } from '../engine/index.js';
import type { PolicyRequest } from './policy-request.js';

const expected = JSON.parse(
  readFileSync(new URL('./input-document-snapshot.json', import.meta.url), 'utf8'),
) as Record<string, string>;

const subject = {
  id: 'agent-7@example.com',
  kind: 'agent' as const,
  groups: ['agents', 'eu'],
  claims: { act: { sub: 'bob' }, n: 1 },
};
const http = (h: unknown, extra: Record<string, unknown> = {}): PolicyRequest =>
  ({
    subject,
    resource: { type: 'http', name: 'api', labels: { env: 'prod' } },
    session: { id: 's-1', source: '10.0.0.1' },
    http: h,
    ...extra,
  }) as PolicyRequest;
const requests: Record<string, PolicyRequest> = {
  http_parsed_body: http({
    method: 'post',
    url: '/v1/customers?expand=card&tag=a&tag=b&__proto__=x&e=%C3%A9',
    headers: {
      host: 'api.example.com:8443',
      'content-type': 'application/json',
      authorization: 'Bearer abc',
      cookie: 'a=1; b=2',
      'x-api-key': 'k',
      accept: ['a', 'b'],
      'content-length': 10,
    },
    body: { z: 1, a: [true, null, 'x'], n: { __proto__: null, k: 'v' } },
  }),
  http_absolute_text: http({
    method: 'PUT',
    url: 'https://user:pw@billing.example.com/a/../b/%61?x=1#frag',
    headers: [
      ['Content-Type', 'application/problem+json'],
      ['Set-Cookie', 'sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
      ['Set-Cookie', 'x=2'],
    ],
    body: '{"b":2,"a":1}',
  }),
  http_bad_json: http({
    method: 'POST',
    url: '/x',
    headers: { 'content-type': 'application/json' },
    body: '{oops',
  }),
  http_bytes_sniff: http({ method: 'POST', url: '/x y', body: new TextEncoder().encode(' [1,2]') }),
  http_no_body: http({ method: 'GET', url: '/health' }, { time: '2026-11-25T21:00:00.250+01:00' }),
  sql: {
    subject,
    resource: { type: 'postgres', name: 'db' },
    session: {
      id: 's-2',
      started_at: '2026-11-25T20:00:00Z',
      approvals: [
        {
          id: 'a1',
          scope: 'statement',
          fingerprint: 'f',
          approved_by: ['x'],
          expires_at: '2026-11-26T00:00:00Z',
        },
      ],
    },
    sql: 'SELECT u.email FROM users u WHERE u.id = 42; DELETE FROM t',
  },
  sql_unparsed: {
    subject: { id: 'u' },
    resource: { type: 'postgres', name: 'db' },
    session: { id: 's-3' },
    sql: { raw: 'SELEC oops', dialect: 'postgresql' },
  },
  sql_mysql: {
    subject: { id: 'u' },
    resource: { type: 'postgres', name: 'db' },
    session: { id: 's-3' },
    sql: { raw: 'SELECT `a` FROM b LIMIT 1', dialect: 'mysql' },
  },
  shell: {
    subject: { id: 'alice' },
    resource: { type: 'ssh', name: 'web-1' },
    session: { id: 's-4', source: '1.2.3.4' },
    command: 'sudo rm -rf /var/log/*.gz 2>/dev/null | tee x',
  },
  exec: {
    subject: { id: 'alice' },
    resource: { type: 'ssh', name: 'web-1' },
    session: { id: 's-4' },
    action: 'exec',
    command: 'ls -la',
  },
  file: {
    subject: { id: 'alice' },
    resource: { type: 'ssh', name: 'web-1' },
    session: { id: 's-5' },
    file: { operation: 'rename', path: '/a', target: '/b', protocol: 'sftp' },
  },
  connect: {
    subject: { id: 'alice' },
    resource: { type: 'ssh', name: 'web-1' },
    session: { id: 's-6' },
    action: 'connect',
  },
};

describe('input document bytes', () => {
  it('covers every request here', () => {
    expect(Object.keys(requests).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.keys(requests))('%s is what the policy saw before', async (name) => {
    let seen = '';
    const engine = createEngine({
      evaluator: staticEvaluator((input) => {
        seen = JSON.stringify(input);
        return { effect: 'allow' };
      }),
      clock: () => 1764104400123,
    });
    const result = await engine.decide(requests[name]!);
    expect(seen).toBe(expected[name]);
    // The document returned for the audit is the one the policy saw.
    expect(JSON.stringify(result.input)).toBe(expected[name]);
  });
});
