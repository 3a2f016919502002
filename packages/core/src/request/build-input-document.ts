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
import { formatEpochMs, formatTime, parseRfc3339 } from './format-time.js';
import { type NormalizedRequest, normalizeRequest } from './normalize-request.js';
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
/** The built-in extractors once imported, for the synchronous path. */
let loadedDefaults: FactExtractors | undefined;
/** The built-in SQL and shell extractors, imported on first use so embedders who inject their own never load the parsers. */
export function loadDefaultFactExtractors(): Promise<FactExtractors> {
  defaults ??= import('./default-extractors.js').then((m) => {
    loadedDefaults = m.defaultFactExtractors;
    return loadedDefaults;
  });
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
  return buildInputNow(request, options);
}

type ExtractedFacts = SqlFacts | ShellFacts;

/**
 * `buildInput` without the promise when nothing has to be waited for: HTTP, file and connect
 * requests, and SQL or shell once the extractor answers synchronously (the built-in ones do
 * after their parser loaded). The engine calls this on every decision. A malformed request
 * throws InvalidRequestError synchronously.
 */
export function buildInputNow(
  request: PolicyRequest,
  options: BuildInputOptions = {},
): BuiltInput | Promise<BuiltInput> {
  const req = normalizeRequest(request);
  const now = (options.clock ?? Date.now)();
  const nowText = formatEpochMs(now);
  let time = nowText;
  if (req.time !== undefined) {
    const parsed = parseRfc3339(req.time);
    if (parsed === undefined)
      throw new InvalidRequestError(`time: ${JSON.stringify(req.time)} is not an RFC 3339 date-time`);
    time = formatTime(parsed);
  }

  const action: Action = { type: req.action };
  if (req.sql === undefined && req.command === undefined) {
    if (req.http !== undefined) action.http = extractHttpFacts(req.http, options.http);
    else if (req.file !== undefined) action.file = req.file;
    return complete(req, action, nowText, time, options, undefined);
  }
  let facts: ExtractedFacts | PromiseLike<ExtractedFacts>;
  try {
    facts = extractFacts(req, options.extractors ?? loadedDefaults);
  } catch (err) {
    return complete(req, action, nowText, time, options, setUnparsed(req, action, err));
  }
  if (typeof (facts as PromiseLike<ExtractedFacts> | null)?.then === 'function') {
    return Promise.resolve(facts).then(
      (value) => {
        setFacts(req, action, value);
        return complete(req, action, nowText, time, options, undefined);
      },
      (err: unknown) => complete(req, action, nowText, time, options, setUnparsed(req, action, err)),
    );
  }
  setFacts(req, action, facts as ExtractedFacts);
  return complete(req, action, nowText, time, options, undefined);
}

function extractFacts(
  req: NormalizedRequest,
  extractors: FactExtractors | undefined,
): ExtractedFacts | PromiseLike<ExtractedFacts> {
  if (extractors === undefined)
    return loadDefaultFactExtractors().then((loaded) => callExtractor(req, loaded));
  return callExtractor(req, extractors);
}

function callExtractor(
  req: NormalizedRequest,
  extractors: FactExtractors,
): ExtractedFacts | PromiseLike<ExtractedFacts> {
  if (req.sql !== undefined) return extractors.sql(req.sql.raw, req.sql.dialect);
  return extractors.shell(req.command as string);
}

function setFacts(req: NormalizedRequest, action: Action, facts: ExtractedFacts): void {
  if (req.sql !== undefined) action.sql = facts as SqlFacts;
  else action.shell = facts as ShellFacts;
}

/** Marks the facts unparsed after an extractor failed, and returns its error. */
function setUnparsed(req: NormalizedRequest, action: Action, err: unknown): Error {
  const error = asError(err);
  if (req.sql !== undefined) action.sql = unparsedSql(req.sql.raw, req.sql.dialect, error.message);
  else action.shell = unparsedShell(req.command as string, error.message);
  return error;
}

function complete(
  req: NormalizedRequest,
  action: Action,
  nowText: string,
  time: string,
  options: BuildInputOptions,
  extractionError: Error | undefined,
): BuiltInput {
  const fingerprint = actionFingerprint(action);
  if (fingerprint !== undefined) action.fingerprint = fingerprint;

  const input: InputDocument = {
    version: CONTRACT_VERSION,
    subject: req.subject,
    resource: req.resource,
    session: {
      id: req.session.id ?? (options.generateId ?? randomUUID)(),
      started_at: req.session.started_at ?? nowText,
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
