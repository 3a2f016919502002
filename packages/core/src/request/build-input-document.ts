import { randomUUID } from 'node:crypto';
import {
  type Action,
  CONTRACT_VERSION,
  type InputDocument,
  type ShellFacts,
  type SqlDialect,
  type SqlFacts,
} from '../contract.js';
import { InvalidRequestError } from '../errors.js';
import { extractHttpFacts, type HttpFactsOptions, type ResolvedHttpFactsOptions } from '../http/index.js';
import { actionFingerprint } from './action-fingerprint.js';
import type { FactExtractors } from './fact-extractors.js';
import { formatTime, parseRfc3339 } from './format-time.js';
import { normalizeRequest } from './normalize-request.js';
import type { PolicyRequest } from './policy-request.js';

export interface BuildInputOptions {
  /** Defaults to the built-in SQL and shell extractors, loaded on first use. */
  extractors?: FactExtractors;
  http?: HttpFactsOptions | ResolvedHttpFactsOptions;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** Session ids for requests that carry none; defaults to random UUIDs. */
  generateId?: () => string;
}

/** The input document, and the error of an extractor that could not run, if one failed. */
export interface BuiltInput {
  input: InputDocument;
  extractionError?: Error;
}

let defaults: Promise<FactExtractors> | undefined;
/** The built-in SQL and shell extractors, imported on first use so embedders who inject their own never load the parsers. */
export function loadDefaultFactExtractors(): Promise<FactExtractors> {
  defaults ??= import('./default-extractors.js').then((m) => m.defaultFactExtractors);
  return defaults;
}

/**
 * Build the `portcullis.v1` input document for a request. Throws InvalidRequestError for a
 * malformed request, and the extractor's own error when a parser cannot run at all. Text
 * that merely does not parse is not an error: its facts say `parsed: false`.
 */
export async function buildInputDocument(
  request: PolicyRequest,
  options: BuildInputOptions = {},
): Promise<InputDocument> {
  const built = await buildInput(request, options);
  if (built.extractionError !== undefined) throw built.extractionError;
  return built.input;
}

/**
 * Like `buildInputDocument`, but an extractor that throws does not lose the document: its
 * facts are marked unparsed and the error is returned beside it, so the engine can deny
 * with a complete document for the audit.
 */
export async function buildInput(
  request: PolicyRequest,
  options: BuildInputOptions = {},
): Promise<BuiltInput> {
  const req = normalizeRequest(request);
  const now = (options.clock ?? Date.now)();
  let time = formatTime(new Date(now));
  if (req.time !== undefined) {
    const parsed = parseRfc3339(req.time);
    if (parsed === undefined)
      throw new InvalidRequestError(`time: ${JSON.stringify(req.time)} is not an RFC 3339 date-time`);
    time = formatTime(parsed);
  }

  const action: Action = { type: req.action };
  let extractionError: Error | undefined;
  if (req.sql !== undefined) {
    const { raw, dialect } = req.sql;
    try {
      const extractors = options.extractors ?? (await loadDefaultFactExtractors());
      action.sql = await extractors.sql(raw, dialect);
    } catch (err) {
      extractionError = asError(err);
      action.sql = unparsedSql(raw, dialect, extractionError.message);
    }
  } else if (req.command !== undefined) {
    const raw = req.command;
    try {
      const extractors = options.extractors ?? (await loadDefaultFactExtractors());
      action.shell = await extractors.shell(raw);
    } catch (err) {
      extractionError = asError(err);
      action.shell = unparsedShell(raw, extractionError.message);
    }
  } else if (req.http !== undefined) {
    action.http = extractHttpFacts(req.http, options.http);
  } else if (req.file !== undefined) {
    action.file = req.file;
  }
  const fingerprint = actionFingerprint(action);
  if (fingerprint !== undefined) action.fingerprint = fingerprint;

  const input: InputDocument = {
    version: CONTRACT_VERSION,
    subject: req.subject,
    resource: req.resource,
    session: {
      id: req.session.id ?? (options.generateId ?? randomUUID)(),
      started_at: req.session.started_at ?? formatTime(new Date(now)),
      source: req.session.source ?? '',
      approvals: req.session.approvals ?? [],
    },
    action,
    time,
  };
  return extractionError === undefined ? { input } : { input, extractionError };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function unparsedSql(raw: string, dialect: SqlDialect, message: string): SqlFacts {
  return { raw, dialect, parsed: false, error: { message }, statements: [] };
}

function unparsedShell(raw: string, message: string): ShellFacts {
  return {
    raw,
    parsed: false,
    error: message,
    commands: [],
    substitutions: false,
    redirects: [],
    interpreter_pipes: [],
    opaque: [{ reason: 'parse_error', text: raw }],
  };
}
