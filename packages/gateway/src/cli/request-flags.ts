import {
  InvalidRequestError,
  type PolicyRequest,
  type ResourceType,
  type SqlDialect,
  type SubjectKind,
} from '@portcullis/core';

/** The flags `portcullis facts` and `portcullis eval` share to describe one request. */
export interface RequestFlags {
  sql?: string;
  dialect?: string;
  command?: string;
  exec?: boolean;
  httpMethod?: string;
  url?: string;
  header?: string[];
  body?: string;
  resourceType?: string;
  resourceName?: string;
  resourceLabels?: string;
  subject?: string;
  subjectKind?: string;
  groups?: string;
}

const resourceTypes = new Set<ResourceType>(['postgres', 'ssh', 'http']);
const subjectKinds = new Set<SubjectKind>(['human', 'agent']);

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new InvalidRequestError(`--resource-labels: expected key=value, got "${trimmed}"`);
    labels[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return labels;
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InvalidRequestError(`--header: expected "Name: value", got "${line}"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Turns command-line flags into the same request shape a JSON-lines line carries. */
export function requestFromFlags(flags: RequestFlags): PolicyRequest {
  const given = [flags.sql, flags.command, flags.url ?? flags.httpMethod].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new InvalidRequestError(
      'give exactly one of --sql, --command, or --http-method/--url (or --jsonl to read requests from stdin)',
    );
  }
  const inferredType: ResourceType =
    flags.sql !== undefined ? 'postgres' : flags.command !== undefined ? 'ssh' : 'http';
  const type = (flags.resourceType ?? inferredType) as ResourceType;
  if (!resourceTypes.has(type)) {
    throw new InvalidRequestError(`--resource-type must be one of postgres, ssh, http; got "${type}"`);
  }
  const kind = (flags.subjectKind ?? 'human') as SubjectKind;
  if (!subjectKinds.has(kind)) {
    throw new InvalidRequestError(`--subject-kind must be human or agent; got "${kind}"`);
  }

  const request: PolicyRequest = {
    subject: {
      id: flags.subject ?? 'anonymous',
      kind,
      groups: flags.groups
        ? flags.groups
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [],
    },
    resource: {
      type,
      name: flags.resourceName ?? 'default',
      labels: flags.resourceLabels ? parseLabels(flags.resourceLabels) : {},
    },
  };
  if (flags.sql !== undefined) {
    request.sql = flags.dialect ? { raw: flags.sql, dialect: flags.dialect as SqlDialect } : flags.sql;
  } else if (flags.command !== undefined) {
    request.command = flags.command;
    if (flags.exec) request.action = 'exec';
  } else {
    if (!flags.url) throw new InvalidRequestError('--url is required with --http-method');
    request.http = {
      method: flags.httpMethod ?? 'GET',
      url: flags.url,
      headers: parseHeaders(flags.header ?? []),
      ...(flags.body !== undefined ? { body: flags.body } : {}),
    };
  }
  return request;
}
