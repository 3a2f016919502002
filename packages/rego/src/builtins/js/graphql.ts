/**
 * OPA's GraphQL builtins. OPA implements them with vektah/gqlparser and returns its Go AST
 * marshalled to JSON; these follow the same shapes, messages and validation rules.
 */
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, str, typeError } from './args.js';
import { type QueryDocument, type SchemaDocument, toOpaJson } from './graphql-ast.js';
import { queryDocumentFromJson, schemaDocumentFromJson } from './graphql-from-json.js';
import { GraphqlError, parseQuery, parseSchema } from './graphql-parser.js';
import { loadSchema, type Schema } from './graphql-schema.js';
import { QueryTooComplexError, validateQuery } from './graphql-validate.js';

/** A failure already worded as the builtin reports it. */
class GraphqlFailure extends Error {}

/**
 * OPA's formatGqlParserError: it splits gqlparser's `input:L:C: message` text at the first
 * three colons, so when validation finds several errors the later ones stay in the message.
 */
function opaMessage(goText: string): string {
  const parts = goText.split(':');
  if (parts.length >= 4 && /^\d+$/.test(parts[1]!) && /^\d+$/.test(parts[2]!)) {
    let msg = parts.slice(3).join(':').replace(/^ +/, '');
    if (msg.endsWith('.\n')) msg = msg.slice(0, -2);
    return `${msg} in GraphQL string at location ${Number(parts[1])}:${Number(parts[2])}`;
  }
  return `GraphQL parse error: ${goText}`;
}

function fail(name: string, err: unknown): never {
  if (err instanceof GraphqlFailure || err instanceof QueryTooComplexError)
    throw builtinError(name, err.message, err);
  if (err instanceof GraphqlError) throw builtinError(name, opaMessage(err.goText()), err);
  // Documents nested deeper than the stack allows.
  if (err instanceof RangeError) throw builtinError(name, 'GraphQL document nested too deeply', err);
  throw err;
}

function parseQueryBuiltin(query: unknown): unknown {
  const name = 'graphql.parse_query';
  const text = str(name, query, 1);
  try {
    return toOpaJson(parseQuery(text));
  } catch (err) {
    fail(name, err);
  }
}

function parseSchemaBuiltin(schema: unknown): unknown {
  const name = 'graphql.parse_schema';
  const text = str(name, schema, 1);
  try {
    return toOpaJson(parseSchema(text));
  } catch (err) {
    fail(name, err);
  }
}

/** A query operand: GraphQL text, or a tree as graphql.parse_query returns it. */
function queryOperand(name: string, value: unknown, pos: number): QueryDocument {
  if (typeof value === 'string') return parseQuery(value);
  if (isObject(value)) return queryDocumentFromJson(value);
  throw typeError(name, pos, 'one of {object, string}', value);
}

/** A schema operand: GraphQL text, or a tree as graphql.parse_schema returns it. */
function schemaOperand(name: string, value: unknown, pos: number): SchemaDocument {
  if (typeof value === 'string') return parseSchema(value);
  if (isObject(value)) return schemaDocumentFromJson(value);
  throw typeError(name, pos, 'one of {object, string}', value);
}

/** Parses both documents and validates the query against the schema (built-in types merged in). */
function parseAndValidate(name: string, query: unknown, schema: unknown): [QueryDocument, SchemaDocument] {
  // OPA numbers these two operands from 0 in its type errors.
  const queryDoc = queryOperand(name, query, 0);
  const schemaDoc = schemaOperand(name, schema, 1);
  let loaded: Schema;
  try {
    loaded = loadSchema(schemaDoc);
  } catch (err) {
    if (!(err instanceof GraphqlError)) throw err;
    throw new GraphqlFailure(`Error in gqlparser SchemaDocument to Schema conversion: ${err.goText()}`);
  }
  const errors = validateQuery(loaded, queryDoc);
  if (errors.length > 0) {
    // gqlparser's error list prints one error a line.
    throw new GraphqlFailure(opaMessage(errors.map((e) => `${e.goText()}\n`).join('')));
  }
  return [queryDoc, schemaDoc];
}

/**
 * Whether `fn` succeeds. GraphQL errors and over-deep documents count as failure, and so do
 * operands of the wrong type: OPA's checking builtins answer false for those rather than fail.
 */
function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (
      err instanceof GraphqlError ||
      err instanceof GraphqlFailure ||
      err instanceof QueryTooComplexError ||
      err instanceof RangeError
    )
      return false;
    if (err instanceof BuiltinError && err.code === 'eval_type_error') return false;
    throw err;
  }
}

function parseBuiltin(query: unknown, schema: unknown): unknown {
  const name = 'graphql.parse';
  try {
    return parseAndValidate(name, query, schema).map(toOpaJson);
  } catch (err) {
    fail(name, err);
  }
}

function parseAndVerifyBuiltin(query: unknown, schema: unknown): unknown {
  const name = 'graphql.parse_and_verify';
  let docs: [QueryDocument, SchemaDocument] | undefined;
  const ok = succeeds(() => {
    docs = parseAndValidate(name, query, schema);
  });
  return ok && docs !== undefined ? [true, toOpaJson(docs[0]), toOpaJson(docs[1])] : [false, {}, {}];
}

function isValidBuiltin(query: unknown, schema: unknown): boolean {
  return succeeds(() => parseAndValidate('graphql.is_valid', query, schema));
}

function schemaIsValidBuiltin(schema: unknown): boolean {
  return succeeds(() => loadSchema(schemaOperand('graphql.schema_is_valid', schema, 1)));
}

export const GRAPHQL_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['graphql.parse_query', parseQueryBuiltin],
  ['graphql.parse_schema', parseSchemaBuiltin],
  ['graphql.parse', parseBuiltin],
  ['graphql.parse_and_verify', parseAndVerifyBuiltin],
  ['graphql.is_valid', isValidBuiltin],
  ['graphql.schema_is_valid', schemaIsValidBuiltin],
]);
