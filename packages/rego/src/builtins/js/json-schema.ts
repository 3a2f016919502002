/**
 * `json.verify_schema` and `json.match_schema`: JSON Schema drafts 4, 6 and 7 with the
 * behaviour and messages of gojsonschema as OPA uses it. A string operand is JSON text; an
 * object operand is the value itself. An invalid schema is a result of verify_schema
 * (`[false, "jsonschema: <reason>"]`) but an error of match_schema.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json } from './args.js';
import { compileSchema, InvalidSchemaError, type Schema } from './json-schema-compile.js';
import { SchemaRecursionError, type SchemaResultError, validateDocument } from './json-schema-validate.js';

/** Why an operand can't be read as JSON, in OPA's words. */
class OperandError extends Error {}

/** OPA's astValueToJSONSchemaLoader: JSON text, or an object (or array) taken as is. */
function load(value: unknown): Json {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Json;
    } catch {
      throw new OperandError('invalid JSON string');
    }
  }
  if (isObject(value) || Array.isArray(value)) return value as Json;
  throw new OperandError('wrong type, expected string or object');
}

/**
 * Compiled schemas by their text. Policies validate every request against the same few
 * schemas (OPA keeps them in its inter-query cache for that reason); compiled schemas are
 * never changed after compilation, so sharing them is safe.
 */
const CACHE_SIZE = 64;
const cache = new Map<string, Schema | InvalidSchemaError>();

function cacheKey(value: unknown): string {
  if (typeof value === 'string') return `s${value}`;
  return `o${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}

/** The compiled schema, or throws OperandError / InvalidSchemaError. */
function schemaOf(value: unknown): Schema {
  const key = cacheKey(value);
  let compiled = cache.get(key);
  if (compiled !== undefined) {
    cache.delete(key);
  } else {
    const doc = load(value);
    try {
      compiled = compileSchema(doc);
    } catch (err) {
      if (!(err instanceof InvalidSchemaError)) throw err;
      compiled = err;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, compiled);
  if (compiled instanceof InvalidSchemaError) throw compiled;
  return compiled;
}

/** Our own failures (bad operand, bad schema, endless schema, stack) as the builtin's error. */
function reason(err: unknown): string | undefined {
  if (err instanceof OperandError || err instanceof InvalidSchemaError) return err.message;
  if (err instanceof SchemaRecursionError) return err.message;
  // A document or schema nested deeper than the stack allows.
  if (err instanceof RangeError) return 'document or schema nested too deeply';
  return undefined;
}

function verifySchema(schema: unknown): [boolean, string | null] {
  try {
    schemaOf(schema);
    return [true, null];
  } catch (err) {
    const why = reason(err);
    if (why === undefined) throw err;
    return [false, `jsonschema: ${why}`];
  }
}

function matchSchema(document: unknown, schema: unknown): [boolean, SchemaResultError[]] {
  const name = 'json.match_schema';
  try {
    // OPA reads the document before the schema, so a bad document is the error reported.
    const doc = load(document);
    const errors = validateDocument(schemaOf(schema), doc);
    return [errors.length === 0, errors];
  } catch (err) {
    const why = reason(err);
    if (why === undefined) throw err;
    throw builtinError(name, why, err);
  }
}

export const JSON_SCHEMA_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['json.verify_schema', verifySchema],
  ['json.match_schema', matchSchema],
]);
