/**
 * JSON Schema (drafts 4, 6 and 7) compiled for validation, with the schema checks and error
 * wording of gojsonschema, which OPA's `json.verify_schema` and `json.match_schema` use. The
 * draft comes from `$schema`; without one (or with an unknown one) every keyword of every
 * draft is accepted, as gojsonschema's "hybrid" mode does. Keywords are checked in
 * gojsonschema's order, so a schema with several faults reports the same first one.
 *
 * `$ref` resolves within the schema only (JSON pointers, `$id`-named subschemas); anything
 * that would need a fetch is refused, as OPA refuses with an empty `allow_net`.
 */
import { isObject, type Json, type JsonObject } from './args.js';
import { goJson } from './encoding.js';
import { type Decimal, toDecimal } from './json-schema-number.js';
import { compileRe2 } from './re2.js';
import { compareStrings } from './value.js';

/** A schema fault: OPA reports the message as is (verify_schema) or as a builtin error. */
export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSchemaError';
  }
}

/** Draft numbers; hybrid (no `$schema`) sorts after all of them, so `>= 6` checks hold. */
const HYBRID = Number.POSITIVE_INFINITY;

const DRAFTS: ReadonlyMap<string, number> = new Map([
  ['http://json-schema.org/draft-04/schema', 4],
  ['http://json-schema.org/draft-06/schema', 6],
  ['http://json-schema.org/draft-07/schema', 7],
]);

/** The order gojsonschema lists the primitive types in its messages. */
const JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

export interface Bound {
  readonly value: number | bigint;
  readonly exact: Decimal;
}

type RE2 = ReturnType<typeof compileRe2>;

export interface Pattern {
  readonly source: string;
  readonly re: RE2;
}

/** A compiled (sub)schema. Mutable only while it is being compiled. */
export interface Schema {
  /** Set for `true` / `false` schemas, which carry nothing else. */
  pass?: boolean;
  /** Set for `$ref`: validation goes there and ignores the siblings. */
  ref?: Schema;
  types: string[];
  properties: [string, Schema][];
  propertyNames: Set<string>;
  additionalProperties?: boolean | Schema;
  patternProperties: [Pattern, Schema][];
  propertyNamesSchema?: Schema;
  dependencies: [string, string[] | Schema][];
  /** One schema for every item, or a tuple of positional schemas. */
  items?: Schema | Schema[];
  additionalItems?: boolean | Schema;
  multipleOf?: Bound;
  minimum?: Bound;
  exclusiveMinimum?: Bound;
  maximum?: Bound;
  exclusiveMaximum?: Bound;
  minLength?: number;
  maxLength?: number;
  pattern?: Pattern;
  format?: string;
  minProperties?: number;
  maxProperties?: number;
  required: string[];
  minItems?: number;
  maxItems?: number;
  uniqueItems: boolean;
  contains?: Schema;
  /** `const` and `enum` values as canonical JSON, which is how gojsonschema compares. */
  constant?: string;
  enumValues?: string[];
  oneOf: Schema[];
  anyOf: Schema[];
  allOf: Schema[];
  not?: Schema;
  if?: Schema;
  then?: Schema;
  else?: Schema;
}

function blank(): Schema {
  return {
    types: [],
    properties: [],
    propertyNames: new Set(),
    patternProperties: [],
    dependencies: [],
    required: [],
    uniqueItems: false,
    oneOf: [],
    anyOf: [],
    allOf: [],
  };
}

/**
 * A value as gojsonschema compares `const`, `enum` and `uniqueItems`: Go's JSON encoding of
 * it after a float64 round trip, so 1 and 1.0 agree and object key order does not matter.
 */
export function canonicalJson(v: unknown): string {
  const floats = (x: unknown): Json => {
    if (typeof x === 'bigint') return Number(x);
    if (Array.isArray(x)) return x.map(floats);
    if (isObject(x)) {
      const out: JsonObject = {};
      for (const k of Object.keys(x))
        Object.defineProperty(out, k, { value: floats(x[k]), enumerable: true });
      return out;
    }
    return x as Json;
  };
  return goJson(floats(v));
}

const invalid = (message: string) => new InvalidSchemaError(message);
const invalidType = (expected: string, given: string) =>
  invalid(`Invalid type. Expected: ${expected}, given: ${given}`);
const mustBeOfA = (x: string, y: string) => invalid(`${x} must be of a ${y}`);
const mustBeOfAn = (x: string, y: string) => invalid(`${x} must be of an ${y}`);
const mustBeOfType = (key: string, type: string) => invalid(`${key} must be of type ${type}`);

const own = (o: JsonObject, k: string): boolean => Object.hasOwn(o, k);
const sortedKeys = (o: JsonObject): string[] => Object.keys(o).sort(compareStrings);
const isNumber = (v: unknown): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
const isSchemaValue = (v: unknown): boolean => typeof v === 'boolean' || isObject(v);

/** gojsonschema's mustBeInteger: a whole number that fits an int64. */
function integer(v: unknown): number | undefined {
  if (typeof v === 'bigint') {
    return v >= -(2n ** 63n) && v < 2n ** 63n ? Number(v) : undefined;
  }
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 63) return v;
  return undefined;
}

function bound(v: number | bigint): Bound {
  return { value: v, exact: toDecimal(v) };
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function withoutFragment(uri: string): string {
  const hash = uri.indexOf('#');
  return hash < 0 ? uri : uri.slice(0, hash);
}

/**
 * A reference made absolute against the base in scope. Absolute forms go through WHATWG
 * URL parsing so that `$id`s and `$ref`s spelled differently still meet in the pool; an
 * empty fragment is dropped, as Go's url.URL prints it.
 */
function resolveUri(base: string, ref: string): string {
  let out = ref;
  try {
    if (SCHEME.test(ref)) out = new URL(ref).href;
    else if (SCHEME.test(base)) out = new URL(ref, base).href;
    else if (ref.startsWith('#') || ref === '') out = withoutFragment(base) + ref;
  } catch {
    out = ref;
  }
  return out.endsWith('#') ? out.slice(0, -1) : out;
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

/** A JSON pointer into a schema document, with gojsonpointer's messages. */
function followPointer(doc: unknown, fragment: string): unknown {
  // A fragment that is not a pointer (a plain name) points at the whole document there.
  if (!fragment.startsWith('/')) return doc;
  let node = doc;
  for (const token of fragment.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (isObject(node)) {
      if (!own(node, key)) throw invalid(`Object has no key '${token}'`);
      node = node[key];
    } else if (Array.isArray(node)) {
      if (!/^[+-]?\d+$/.test(token)) throw invalid(`Invalid array index '${token}'`);
      const index = Number(token);
      // (sic) gojsonpointer prints the index where the length goes and the other way round.
      if (index < 0 || index >= node.length)
        throw invalid(`Out of bound array[0,${index}] index '${node.length}'`);
      node = node[index];
    } else {
      throw invalid(`Invalid token reference '${token}'`);
    }
  }
  return node;
}

class Compiler {
  /** Schema documents by URI: the root under "", and every subschema that has an `$id`. */
  private readonly pool = new Map<string, unknown>();
  /** The base URI in scope at each schema object (its own `$id` included). */
  private readonly bases = new WeakMap<object, string>();
  /** `$ref` targets by absolute URI, so recursive schemas compile once and finish. */
  private readonly refs = new Map<string, Schema>();

  constructor(
    private readonly draft: number,
    root: unknown,
  ) {
    this.scan(root, '');
    this.pool.set('', root);
  }

  /**
   * Record base URIs and `$id`s before compiling, as gojsonschema's reference pass does:
   * `const` and `enum` hold data, and the maps under properties-like keywords hold schemas
   * under arbitrary names, so neither is read as a schema itself.
   */
  private scan(node: unknown, base: string): void {
    if (Array.isArray(node)) {
      for (const x of node) this.scan(x, base);
      return;
    }
    if (!isObject(node)) return;
    let local = base;
    const id = node[own(node, 'id') ? 'id' : '$id'];
    if (typeof id === 'string') {
      local = resolveUri(base, id);
      if (!this.pool.has(local)) this.pool.set(local, node);
    }
    this.bases.set(node, local);
    for (const k of Object.keys(node)) {
      if (k === 'const' || k === 'enum') continue;
      const v = node[k];
      if ((k === 'properties' || k === 'dependencies' || k === 'patternProperties') && isObject(v)) {
        for (const x of Object.values(v)) this.scan(x, local);
      } else {
        this.scan(v, local);
      }
    }
  }

  /** gojsonschema's schema pool lookup: by `$id` first, then a pointer into a document. */
  private lookup(uri: string): unknown {
    if (this.pool.has(uri)) return this.pool.get(uri);
    const hash = uri.indexOf('#');
    const doc = hash < 0 ? uri : uri.slice(0, hash);
    if (this.pool.has(doc))
      return followPointer(this.pool.get(doc), decodeFragment(uri.slice(doc.length + 1)));
    let url: URL | undefined;
    try {
      url = new URL(uri);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.host === '' && url.protocol !== 'file:')) {
      throw invalid(`Reference ${uri} must be canonical`);
    }
    // Never fetched: schemas reach these builtins from policies and even input, so a
    // reference must not make the evaluator read files or reach hosts.
    if (url.protocol === 'file:') throw invalid(`file reference loading disabled: ${uri}`);
    throw invalid(`remote reference loading disabled: ${uri}`);
  }

  compileRoot(root: unknown): Schema {
    const s = blank();
    this.compile(root, s);
    return s;
  }

  private child(node: unknown): Schema {
    const s = blank();
    this.compile(node, s);
    return s;
  }

  private str(o: JsonObject, key: string): string | undefined {
    if (!own(o, key)) return undefined;
    const v = o[key];
    if (typeof v !== 'string') throw invalidType('string', key);
    return v;
  }

  private slice(o: JsonObject, key: string): Json[] | undefined {
    if (!own(o, key)) return undefined;
    const v = o[key];
    if (!Array.isArray(v)) throw mustBeOfAn(key, 'array');
    return v;
  }

  private nonNegative(o: JsonObject, key: string): number | undefined {
    if (!own(o, key)) return undefined;
    const n = integer(o[key]);
    if (n === undefined) throw mustBeOfAn(key, 'integer');
    if (n < 0) throw invalid(`${key} must be greater than or equal to 0`);
    return n;
  }

  private schemaOrBool(o: JsonObject, key: string, orElse: () => InvalidSchemaError): Schema | undefined {
    if (!own(o, key)) return undefined;
    const v = o[key];
    if (!isSchemaValue(v)) throw orElse();
    return this.child(v);
  }

  /** gojsonschema's parseSchema, keyword by keyword in its order. */
  private compile(node: unknown, s: Schema): void {
    const draft = this.draft;
    if (draft >= 6 && typeof node === 'boolean') {
      s.pass = node;
      return;
    }
    if (!isObject(node)) throw invalid('Expected: schema, given: Invalid JSON');
    const m = node;

    this.str(m, draft === 4 ? 'id' : draft === HYBRID && own(m, 'id') ? 'id' : '$id');

    if (own(m, 'definitions')) {
      const defs = m.definitions;
      if (!isObject(defs)) throw invalidType('array of schemas', 'definitions');
      for (const k of sortedKeys(defs)) {
        if (!isSchemaValue(defs[k])) throw invalidType('array of schemas', 'definitions');
        this.child(defs[k]);
      }
    }

    this.str(m, 'title');
    this.str(m, 'description');

    const ref = this.str(m, '$ref');
    if (ref !== undefined) {
      const uri = resolveUri(this.bases.get(m) ?? '', ref);
      const known = this.refs.get(uri);
      if (known === undefined) {
        // First sight of this target: compile it (registered first, so a cycle back to it
        // finds it) and skip the siblings, which a `$ref` overrides anyway.
        const target = blank();
        this.refs.set(uri, target);
        const doc = this.lookup(uri);
        if (!isSchemaValue(doc)) throw mustBeOfType('schema', 'object');
        this.compile(doc, target);
        s.ref = target;
        return;
      }
      s.ref = known;
    }

    if (own(m, 'type')) {
      const t = m.type;
      const names = typeof t === 'string' ? [t] : Array.isArray(t) ? t : undefined;
      if (names === undefined) throw invalidType('type', 'string/array of strings');
      for (const name of names) {
        if (typeof name !== 'string') throw invalidType('type', 'string/array of strings');
        if (!JSON_TYPES.includes(name)) {
          throw invalid(
            `has a primitive type that is NOT VALID -- given: /${name}/ Expected valid values are:[${JSON_TYPES.join(' ')}]`,
          );
        }
        if (s.types.includes(name)) throw invalid(`${name} type is duplicated`);
        s.types.push(name);
      }
    }

    if (own(m, 'properties')) {
      const props = m.properties;
      if (!isObject(props)) throw mustBeOfType('properties', 'object');
      for (const k of sortedKeys(props)) {
        s.properties.push([k, this.child(props[k])]);
        s.propertyNames.add(k);
      }
    }

    if (own(m, 'additionalProperties')) {
      const v = m.additionalProperties;
      if (typeof v === 'boolean') s.additionalProperties = v;
      else if (isObject(v)) s.additionalProperties = this.child(v);
      else throw invalidType('boolean/schema', 'additionalProperties');
    }

    if (own(m, 'patternProperties')) {
      const pp = m.patternProperties;
      if (!isObject(pp)) throw invalidType('schema', 'patternProperties');
      for (const k of sortedKeys(pp)) {
        let re: RE2;
        try {
          re = compileRe2(k);
        } catch {
          throw invalid(`Invalid regex pattern '${k}'`);
        }
        s.patternProperties.push([{ source: k, re }, this.child(pp[k])]);
      }
    }

    if (draft >= 6) {
      const pn = this.schemaOrBool(m, 'propertyNames', () => invalidType('schema', 'patternProperties'));
      if (pn !== undefined) s.propertyNamesSchema = pn;
    }

    if (own(m, 'dependencies')) {
      const deps = m.dependencies;
      if (!isObject(deps)) throw mustBeOfType('dependencies', 'object');
      for (const k of sortedKeys(deps)) {
        const v = deps[k];
        if (Array.isArray(v)) {
          if (v.some((x) => typeof x !== 'string')) {
            throw mustBeOfType('dependency', 'schema or array of strings');
          }
          if (v.length > 0) s.dependencies.push([k, v as string[]]);
        } else if (isSchemaValue(v)) {
          s.dependencies.push([k, this.child(v)]);
        } else {
          throw mustBeOfType('dependency', 'schema or array of strings');
        }
      }
    }

    if (own(m, 'items')) {
      const items = m.items;
      if (Array.isArray(items)) {
        s.items = items.map((x) => {
          if (!isSchemaValue(x)) throw invalidType('schema/array of schemas', 'items');
          return this.child(x);
        });
      } else if (isSchemaValue(items)) {
        s.items = this.child(items);
      } else {
        throw invalidType('schema/array of schemas', 'items');
      }
    }

    if (own(m, 'additionalItems')) {
      const v = m.additionalItems;
      if (typeof v === 'boolean') s.additionalItems = v;
      else if (isObject(v)) s.additionalItems = this.child(v);
      else throw invalidType('boolean/schema', 'additionalItems');
    }

    if (own(m, 'multipleOf')) {
      const v = m.multipleOf;
      if (!isNumber(v)) throw invalidType('number', 'multipleOf');
      if (v <= 0) throw invalid('multipleOf must be strictly greater than 0');
      s.multipleOf = bound(v);
    }

    this.limit(m, s, 'minimum', 'exclusiveMinimum');
    this.limit(m, s, 'maximum', 'exclusiveMaximum');

    const minLength = this.nonNegative(m, 'minLength');
    if (minLength !== undefined) s.minLength = minLength;
    const maxLength = this.nonNegative(m, 'maxLength');
    if (maxLength !== undefined) s.maxLength = maxLength;
    if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
      throw invalid('minLength cannot be greater than maxLength');
    }

    const pattern = this.str(m, 'pattern');
    if (pattern !== undefined) {
      try {
        s.pattern = { source: pattern, re: compileRe2(pattern) };
      } catch {
        throw invalid('pattern must be a valid regex');
      }
    }

    const format = this.str(m, 'format');
    if (format !== undefined) s.format = format;

    const minProperties = this.nonNegative(m, 'minProperties');
    if (minProperties !== undefined) s.minProperties = minProperties;
    const maxProperties = this.nonNegative(m, 'maxProperties');
    if (maxProperties !== undefined) s.maxProperties = maxProperties;
    if (minProperties !== undefined && maxProperties !== undefined && minProperties > maxProperties) {
      throw invalid('minProperties cannot be greater than maxProperties');
    }

    for (const r of this.slice(m, 'required') ?? []) {
      if (typeof r !== 'string') throw invalidType('string', 'required');
      if (s.required.includes(r)) throw invalid('required items must be unique');
      s.required.push(r);
    }

    const minItems = this.nonNegative(m, 'minItems');
    if (minItems !== undefined) s.minItems = minItems;
    const maxItems = this.nonNegative(m, 'maxItems');
    if (maxItems !== undefined) s.maxItems = maxItems;

    if (own(m, 'uniqueItems')) {
      if (typeof m.uniqueItems !== 'boolean') throw mustBeOfA('uniqueItems', 'boolean');
      s.uniqueItems = m.uniqueItems;
    }

    if (draft >= 6 && own(m, 'contains')) s.contains = this.child(m.contains);
    if (draft >= 6 && own(m, 'const')) s.constant = canonicalJson(m.const);

    const values = this.slice(m, 'enum');
    if (values !== undefined) {
      s.enumValues = [];
      for (const v of values) {
        const c = canonicalJson(v);
        if (s.enumValues.includes(c)) throw invalid('enum items must be unique');
        s.enumValues.push(c);
      }
    }

    for (const x of this.slice(m, 'oneOf') ?? []) s.oneOf.push(this.child(x));
    for (const x of this.slice(m, 'anyOf') ?? []) s.anyOf.push(this.child(x));
    for (const x of this.slice(m, 'allOf') ?? []) s.allOf.push(this.child(x));

    const not = this.schemaOrBool(m, 'not', () => mustBeOfAn('not', 'object'));
    if (not !== undefined) s.not = not;

    if (draft >= 7) {
      for (const key of ['if', 'then', 'else'] as const) {
        const sub = this.schemaOrBool(m, key, () => mustBeOfAn(key, 'object'));
        if (sub !== undefined) s[key] = sub;
      }
    }
  }

  /**
   * `minimum` / `exclusiveMinimum` (and the maximum pair). Draft 4's boolean exclusive form
   * turns the bound exclusive; from draft 6 the exclusive bound is a number of its own.
   */
  private limit(
    m: JsonObject,
    s: Schema,
    key: 'minimum' | 'maximum',
    exKey: 'exclusiveMinimum' | 'exclusiveMaximum',
  ) {
    if (own(m, key)) {
      const v = m[key];
      if (!isNumber(v)) throw mustBeOfA(key, 'number');
      s[key] = bound(v);
    }
    if (!own(m, exKey)) return;
    const ex = m[exKey];
    const asBoolean = (b: boolean) => {
      const inclusive = s[key];
      if (inclusive === undefined) throw invalid(`${exKey} cannot be used without ${key}`);
      if (b) {
        s[exKey] = inclusive;
        delete s[key];
      }
    };
    if (this.draft === 4) {
      if (typeof ex !== 'boolean') throw invalidType('boolean', exKey);
      asBoolean(ex);
    } else if (this.draft === HYBRID) {
      if (typeof ex === 'boolean') asBoolean(ex);
      else if (isNumber(ex)) s[exKey] = bound(ex);
      else throw invalidType('boolean/number', exKey);
    } else {
      if (!isNumber(ex)) throw invalidType('number', exKey);
      s[exKey] = bound(ex);
    }
  }
}

/**
 * Compile a schema document (already parsed JSON), or throw InvalidSchemaError with the
 * message gojsonschema gives.
 */
export function compileSchema(root: unknown): Schema {
  if (typeof root !== 'boolean' && !isObject(root)) throw invalid('schema is invalid');
  let draft = HYBRID;
  if (isObject(root) && own(root, '$schema')) {
    const url = root.$schema;
    if (typeof url !== 'string') throw mustBeOfType('$schema', 'string');
    draft = DRAFTS.get(url.endsWith('#') ? url.slice(0, -1) : url) ?? HYBRID;
  }
  return new Compiler(draft, root).compileRoot(root);
}
