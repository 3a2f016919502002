import { describe, expect, it } from 'vitest';
import { CONTRACT_VERSION } from '../contract.js';
import { InvalidRequestError } from '../errors.js';
import { fakeFactExtractors } from './fake-extractors.js';
import { buildInput, buildInputDocument, type FactExtractors, type PolicyRequest } from './index.js';

const clock = () => Date.parse('2026-11-25T21:00:00Z');
const opts = { extractors: fakeFactExtractors, clock, generateId: () => 'sess-1' };
const who = {
  subject: { id: 'alice@example.com' },
  resource: { type: 'postgres', name: 'prod-db' },
} as const;

describe('buildInputDocument', () => {
  it('fills every default', async () => {
    const input = await buildInputDocument({ ...who, sql: 'SELECT 1' }, opts);
    expect(input).toMatchObject({
      version: CONTRACT_VERSION,
      subject: { id: 'alice@example.com', kind: 'human', groups: [], claims: {} },
      resource: { type: 'postgres', name: 'prod-db', labels: {} },
      session: { id: 'sess-1', started_at: '2026-11-25T21:00:00Z', source: '', approvals: [] },
      action: { type: 'sql', sql: { raw: 'SELECT 1', dialect: 'postgresql', parsed: true } },
      time: '2026-11-25T21:00:00Z',
    });
  });

  it('keeps what the request gives', async () => {
    const input = await buildInputDocument(
      {
        subject: { id: 'agent-7', kind: 'agent', groups: ['dev'], claims: { act: { sub: 'alice' } } },
        resource: { type: 'postgres', name: 'db', labels: { env: 'prod' } },
        session: { id: 's-9', source: '10.0.0.5' },
        sql: { raw: 'select 1', dialect: 'mysql' },
        time: '2026-01-02T03:04:05.678+01:00',
      },
      opts,
    );
    expect(input.subject).toEqual({
      id: 'agent-7',
      kind: 'agent',
      groups: ['dev'],
      claims: { act: { sub: 'alice' } },
    });
    expect(input.resource.labels).toEqual({ env: 'prod' });
    expect(input.session).toMatchObject({ id: 's-9', source: '10.0.0.5' });
    expect(input.action.sql?.dialect).toBe('mysql');
    expect(input.time).toBe('2026-01-02T02:04:05.678Z');
  });

  it('generates a fresh session id by default', async () => {
    const { session } = await buildInputDocument(
      { ...who, sql: 'select 1' },
      { extractors: fakeFactExtractors },
    );
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes a command a shell action by default and an exec action when asked', async () => {
    const ssh = { subject: { id: 'a' }, resource: { type: 'ssh', name: 'web-1' } } as const;
    const shell = await buildInputDocument({ ...ssh, command: 'rm -rf /tmp/x' }, opts);
    expect(shell.action.type).toBe('shell');
    expect(shell.action.shell?.commands[0]?.program).toBe('rm');
    const exec = await buildInputDocument({ ...ssh, command: 'uptime', action: 'exec' }, opts);
    expect(exec.action.type).toBe('exec');
  });

  it('extracts HTTP facts with the HTTP options', async () => {
    const input = await buildInputDocument(
      {
        subject: { id: 'a' },
        resource: { type: 'http', name: 'api' },
        http: { method: 'delete', url: 'https://api/x', headers: { authorization: 'Bearer t' } },
      },
      { ...opts, http: { revealCredentials: true } },
    );
    expect(input.action).toMatchObject({
      type: 'http',
      http: { method: 'DELETE', headers: { authorization: 'Bearer t' } },
    });
  });

  it('allows a connect with nothing to act on', async () => {
    const input = await buildInputDocument({ ...who, action: 'connect' }, opts);
    expect(input.action).toEqual({ type: 'connect' });
  });

  it('passes unparsed SQL to the policy rather than failing', async () => {
    const input = await buildInputDocument({ ...who, sql: 'SELEC syntax error' }, opts);
    expect(input.action.sql).toMatchObject({ parsed: false, statements: [] });
  });

  it('returns an extractor failure beside a complete document', async () => {
    const broken: FactExtractors = {
      sql: () => {
        throw new Error('wasm did not load');
      },
      shell: async () => {
        throw new Error('grammar missing');
      },
    };
    const sql = await buildInput({ ...who, sql: 'select 1' }, { ...opts, extractors: broken });
    expect(sql.extractionError?.message).toBe('wasm did not load');
    expect(sql.input.action.sql).toEqual({
      raw: 'select 1',
      dialect: 'postgresql',
      parsed: false,
      error: { message: 'wasm did not load' },
      statements: [],
    });
    const shell = await buildInput(
      { subject: { id: 'a' }, resource: { type: 'ssh', name: 'h' }, command: 'ls' },
      { ...opts, extractors: broken },
    );
    expect(shell.input.action.shell).toMatchObject({
      parsed: false,
      opaque: [{ reason: 'parse_error', text: 'ls' }],
    });
    await expect(
      buildInputDocument({ ...who, sql: 'select 1' }, { ...opts, extractors: broken }),
    ).rejects.toThrow('wasm did not load');
  });
});

describe('request validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no subject', { resource: who.resource, sql: 'x' }, /^subject: /],
    ['no subject id', { subject: {}, resource: who.resource, sql: 'x' }, /subject\.id/],
    ['empty subject id', { subject: { id: '' }, resource: who.resource, sql: 'x' }, /subject\.id/],
    ['bad kind', { subject: { id: 'a', kind: 'robot' }, resource: who.resource, sql: 'x' }, /subject\.kind/],
    [
      'bad groups',
      { subject: { id: 'a', groups: 'dba' }, resource: who.resource, sql: 'x' },
      /subject\.groups/,
    ],
    [
      'unknown resource type',
      { subject: { id: 'a' }, resource: { type: 'mongo', name: 'm' }, sql: 'x' },
      /resource\.type/,
    ],
    ['no resource name', { subject: { id: 'a' }, resource: { type: 'ssh' }, command: 'x' }, /resource\.name/],
    [
      'non-string label',
      { ...who, resource: { ...who.resource, labels: { n: 1 } }, sql: 'x' },
      /resource\.labels/,
    ],
    ['nothing to do', { ...who }, /sql\|command\|http/],
    ['two things to do', { ...who, sql: 'x', command: 'y' }, /sql, command/],
    ['unknown action', { ...who, sql: 'x', action: 'drop' }, /action/],
    ['mismatched action', { ...who, sql: 'x', action: 'http' }, /action/],
    ['bad dialect', { ...who, sql: { raw: 'x', dialect: 'oracle' } }, /sql\.dialect/],
    ['bad sql', { ...who, sql: 5 }, /sql/],
    ['bad command', { ...who, command: ['ls'] }, /command/],
    ['http without url', { ...who, http: { method: 'GET' } }, /http\.url/],
    ['bad time', { ...who, sql: 'x', time: 'yesterday' }, /time/],
    ['local time', { ...who, sql: 'x', time: '2026-01-01T00:00:00' }, /time/],
    ['bad session id', { ...who, sql: 'x', session: { id: 3 } }, /session\.id/],
    [
      'a malformed granted approval',
      { ...who, sql: 'x', session: { approvals: [{ id: 'a', scope: 'forever' }] } },
      /session\.approvals\[0\]\.scope/,
    ],
  ];
  it.each(cases)('rejects %s, naming the field', async (_name, request, field) => {
    const attempt = buildInputDocument(request as PolicyRequest, opts);
    await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(attempt).rejects.toThrow(field);
  });
});

describe('file actions', () => {
  const ssh = { subject: { id: 'alice@example.com' }, resource: { type: 'ssh', name: 'web-1' } } as const;

  it('carries the file facts and keys approvals on operation, path and target', async () => {
    const file = { operation: 'rename', path: 'a.txt', target: 'b.txt', protocol: 'sftp' } as const;
    const input = await buildInputDocument({ ...ssh, file }, opts);
    expect(input.action).toMatchObject({ type: 'file', file });
    expect(input.action.fingerprint).toMatch(/^file:[0-9a-f]{32}$/);
    const other = await buildInputDocument({ ...ssh, file: { ...file, target: 'c.txt' } }, opts);
    expect(other.action.fingerprint).not.toBe(input.action.fingerprint);
  });

  it.each([
    [{ operation: 'delete', path: '/x', protocol: 'sftp' }, 'file.operation'],
    [{ operation: 'read', path: '', protocol: 'sftp' }, 'file.path'],
    [{ operation: 'read', path: '/x', protocol: 'ftp' }, 'file.protocol'],
    [{ operation: 'write', path: '/x', protocol: 'sftp', flags: ['sync'] }, 'file.flags'],
  ])('rejects %j naming %s', async (file, field) => {
    const attempt = buildInputDocument({ ...ssh, file } as unknown as PolicyRequest, opts);
    await expect(attempt).rejects.toThrow(field);
  });

  it('refuses a file with another action type', async () => {
    const file = { operation: 'read', path: '/x', protocol: 'sftp' } as const;
    await expect(buildInputDocument({ ...ssh, file, action: 'exec' }, opts)).rejects.toThrow('action');
  });
});
