import type {
  ActionType,
  FileFacts,
  FileOpenFlag,
  FileOperation,
  GrantedApproval,
  Resource,
  ResourceType,
  SqlDialect,
  Subject,
  SubjectKind,
} from '../contract.js';
import { InvalidRequestError } from '../errors.js';
import type { HttpRequestInput } from '../http/index.js';
import type { PolicyRequest } from './policy-request.js';

export const RESOURCE_TYPES: readonly ResourceType[] = ['postgres', 'ssh', 'http'];
export const SUBJECT_KINDS: readonly SubjectKind[] = ['human', 'agent'];
export const ACTION_TYPES: readonly ActionType[] = ['sql', 'exec', 'shell', 'http', 'connect', 'file'];
export const FILE_OPERATIONS: readonly FileOperation[] = [
  'read',
  'write',
  'remove',
  'rename',
  'mkdir',
  'rmdir',
  'setstat',
  'symlink',
  'list',
];
const FILE_OPEN_FLAGS: readonly FileOpenFlag[] = [
  'read',
  'write',
  'append',
  'create',
  'truncate',
  'exclusive',
];
export const SQL_DIALECTS: readonly SqlDialect[] = [
  'postgresql',
  'mysql',
  'mariadb',
  'sqlite',
  'transactsql',
  'bigquery',
  'snowflake',
  'redshift',
  'hive',
  'db2',
  'flinksql',
  'trino',
];

/** A request checked field by field, with the action and what it acts on resolved. */
export interface NormalizedRequest {
  subject: Subject;
  resource: Resource;
  session: { id?: string; started_at?: string; source?: string; approvals?: GrantedApproval[] };
  action: ActionType;
  sql?: { raw: string; dialect: SqlDialect };
  command?: string;
  http?: HttpRequestInput;
  file?: FileFacts;
  time?: string;
}

function fail(field: string, message: string): never {
  throw new InvalidRequestError(`${field}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// Loops rather than every(): these run on every request.
function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}
function isStringRecord(v: unknown): v is Record<string, string> {
  if (!isObject(v)) return false;
  for (const key of Object.keys(v)) if (typeof v[key] !== 'string') return false;
  return true;
}

/**
 * Check a request from outside (an adapter, a JSON line) and resolve its action. Errors name
 * the field, since the request may come from a file a person wrote.
 */
export function normalizeRequest(request: PolicyRequest): NormalizedRequest {
  const r = request as unknown;
  if (!isObject(r)) fail('request', 'must be an object');

  const subject = r.subject;
  if (!isObject(subject)) fail('subject', 'is required');
  if (typeof subject.id !== 'string' || subject.id === '') fail('subject.id', 'is required');
  const kind = subject.kind ?? 'human';
  if (!SUBJECT_KINDS.includes(kind as SubjectKind))
    fail('subject.kind', `must be one of ${SUBJECT_KINDS.join(', ')}`);
  const groups = subject.groups ?? [];
  if (!isStringArray(groups)) fail('subject.groups', 'must be a list of strings');
  const claims = subject.claims ?? {};
  if (!isObject(claims)) fail('subject.claims', 'must be an object');

  const resource = r.resource;
  if (!isObject(resource)) fail('resource', 'is required');
  if (!RESOURCE_TYPES.includes(resource.type as ResourceType)) {
    fail(
      'resource.type',
      `unknown type ${JSON.stringify(resource.type)}; expected one of ${RESOURCE_TYPES.join(', ')}`,
    );
  }
  if (typeof resource.name !== 'string' || resource.name === '') fail('resource.name', 'is required');
  const labels = resource.labels ?? {};
  if (!isStringRecord(labels)) fail('resource.labels', 'must map names to strings');

  const session = r.session ?? {};
  if (!isObject(session)) fail('session', 'must be an object');
  for (const key of ['id', 'started_at', 'source'] as const) {
    if (session[key] !== undefined && typeof session[key] !== 'string')
      fail(`session.${key}`, 'must be a string');
  }
  if (session.approvals !== undefined) {
    if (!Array.isArray(session.approvals)) fail('session.approvals', 'must be a list');
    session.approvals.forEach(checkGrantedApproval);
  }

  if (r.time !== undefined && typeof r.time !== 'string') fail('time', 'must be an RFC 3339 string');
  if (r.action !== undefined && !ACTION_TYPES.includes(r.action as ActionType)) {
    fail('action', `unknown action ${JSON.stringify(r.action)}; expected one of ${ACTION_TYPES.join(', ')}`);
  }

  const givenCount =
    (r.sql !== undefined ? 1 : 0) +
    (r.command !== undefined ? 1 : 0) +
    (r.http !== undefined ? 1 : 0) +
    (r.file !== undefined ? 1 : 0);
  const requested = r.action as ActionType | undefined;
  if (givenCount > 1) {
    const given = (['sql', 'command', 'http', 'file'] as const).filter((k) => r[k] !== undefined);
    fail(given.join(', '), 'a request carries exactly one of sql, command, http and file');
  }
  if (givenCount === 0 && requested !== 'connect') {
    fail('sql|command|http|file', "one of sql, command, http and file is required (or action 'connect')");
  }

  const out: NormalizedRequest = {
    subject: { id: subject.id, kind: kind as SubjectKind, groups: [...groups], claims },
    resource: { type: resource.type as ResourceType, name: resource.name, labels: { ...labels } },
    session: session as NormalizedRequest['session'],
    action: requested ?? 'connect',
  };
  if (r.time !== undefined) out.time = r.time as string;

  if (r.sql !== undefined) {
    if (requested !== undefined && requested !== 'sql' && requested !== 'connect')
      fail('action', `${requested} does not go with sql`);
    out.action = requested ?? 'sql';
    out.sql = normalizeSql(r.sql);
  } else if (r.command !== undefined) {
    if (typeof r.command !== 'string') fail('command', 'must be a string');
    if (requested !== undefined && requested !== 'shell' && requested !== 'exec' && requested !== 'connect') {
      fail('action', `${requested} does not go with command`);
    }
    out.action = requested ?? 'shell';
    out.command = r.command;
  } else if (r.http !== undefined) {
    const http = r.http;
    if (!isObject(http)) fail('http', 'must be an object with method and url');
    if (typeof http.method !== 'string' || http.method === '') fail('http.method', 'is required');
    if (typeof http.url !== 'string' || http.url === '') fail('http.url', 'is required');
    if (requested !== undefined && requested !== 'http' && requested !== 'connect')
      fail('action', `${requested} does not go with http`);
    out.action = requested ?? 'http';
    out.http = http as unknown as HttpRequestInput;
  } else if (r.file !== undefined) {
    if (requested !== undefined && requested !== 'file') fail('action', `${requested} does not go with file`);
    out.action = 'file';
    out.file = normalizeFile(r.file);
  }
  return out;
}

function normalizeFile(file: unknown): FileFacts {
  if (!isObject(file)) fail('file', 'must be an object with operation, path and protocol');
  if (!FILE_OPERATIONS.includes(file.operation as FileOperation)) {
    fail('file.operation', `must be one of ${FILE_OPERATIONS.join(', ')}`);
  }
  if (typeof file.path !== 'string' || file.path === '') fail('file.path', 'is required');
  if (file.protocol !== 'sftp' && file.protocol !== 'scp') fail('file.protocol', 'must be sftp or scp');
  const out: FileFacts = {
    operation: file.operation as FileOperation,
    path: file.path,
    protocol: file.protocol,
  };
  if (file.target !== undefined) {
    if (typeof file.target !== 'string') fail('file.target', 'must be a string');
    out.target = file.target;
  }
  if (file.flags !== undefined) {
    if (!isStringArray(file.flags) || !file.flags.every((f) => FILE_OPEN_FLAGS.includes(f as FileOpenFlag)))
      fail('file.flags', `must list some of ${FILE_OPEN_FLAGS.join(', ')}`);
    out.flags = [...(file.flags as FileOpenFlag[])];
  }
  return out;
}

function checkGrantedApproval(value: unknown, i: number): void {
  const field = `session.approvals[${i}]`;
  if (!isObject(value)) fail(field, 'must be an object');
  if (typeof value.id !== 'string' || value.id === '') fail(`${field}.id`, 'is required');
  if (value.scope !== 'statement' && value.scope !== 'session')
    fail(`${field}.scope`, 'must be statement or session');
  if (value.fingerprint !== undefined && typeof value.fingerprint !== 'string')
    fail(`${field}.fingerprint`, 'must be a string');
  if (!isStringArray(value.approved_by)) fail(`${field}.approved_by`, 'must be a list of strings');
  if (typeof value.expires_at !== 'string') fail(`${field}.expires_at`, 'must be an RFC 3339 string');
}

function normalizeSql(sql: unknown): { raw: string; dialect: SqlDialect } {
  if (typeof sql === 'string') return { raw: sql, dialect: 'postgresql' };
  if (!isObject(sql) || typeof sql.raw !== 'string') fail('sql', 'must be a string or { raw, dialect? }');
  const dialect = sql.dialect ?? 'postgresql';
  if (!SQL_DIALECTS.includes(dialect as SqlDialect)) {
    fail(
      'sql.dialect',
      `unknown dialect ${JSON.stringify(dialect)}; expected one of ${SQL_DIALECTS.join(', ')}`,
    );
  }
  return { raw: sql.raw, dialect: dialect as SqlDialect };
}
