/**
 * Validation of a JSON document against a compiled schema, reporting what gojsonschema
 * reports: the same error types, descriptions and field paths, in the same order, and the
 * same choice of which failed branch of an `anyOf` / `oneOf` / `contains` to explain (the
 * one with the best score, where each check passed counts one up and each error two down).
 */
import { isObject, type Json, type JsonObject } from './args.js';
import { canonicalJson, type Schema } from './json-schema-compile.js';
import { matchesFormat } from './json-schema-formats.js';
import { compareDecimals, formatBound, isIntegral, isMultipleOf, toDecimal } from './json-schema-number.js';
import { matchesAt } from './re2.js';
import { compareStrings } from './value.js';

/** One error as OPA returns it from `json.match_schema`. */
export interface SchemaResultError {
  readonly error: string;
  readonly type: string;
  readonly field: string;
  readonly desc: string;
}

/**
 * Raised when a schema applies to the same value through itself without end (`{"$ref":
 * "#"}`, or a definition that is its own `allOf`). gojsonschema recurses until the stack
 * runs out; here it stops and says why.
 */
export class SchemaRecursionError extends Error {
  constructor() {
    super('schema applies itself to the same value without end');
    this.name = 'SchemaRecursionError';
  }
}

/** How many schemas may apply to one value in a chain before it counts as endless. */
const SAME_VALUE_DEPTH = 256;

/** Where a value sits in the document: `(root)`, then dot-separated keys and indices. */
class Path {
  readonly text: string;
  constructor(key: string, parent?: Path) {
    this.text = parent === undefined ? key : `${parent.text}.${key}`;
  }
  /** The field as errors name it: the path without its `(root).` prefix. */
  get field(): string {
    return this.text.startsWith('(root).') ? this.text.slice('(root).'.length) : this.text;
  }
  child(key: string | number): Path {
    return new Path(String(key), this);
  }
}

class Result {
  readonly errors: SchemaResultError[] = [];
  score = 0;

  get valid(): boolean {
    return this.errors.length === 0;
  }

  add(type: string, path: Path, desc: string): void {
    const field = path.field;
    this.errors.push({ error: `${field}: ${desc}`, type, field, desc });
    // Net -1 once the +1 every completed check adds is counted.
    this.score -= 2;
  }

  merge(other: Result): void {
    this.errors.push(...other.errors);
    this.score += other.score;
  }

  bump(): void {
    this.score++;
  }
}

const typeList = (types: readonly string[]): string =>
  types.length > 1 ? `[${types.join(',')}]` : types[0]!;
const keysOf = (o: JsonObject): string[] => Object.keys(o).sort(compareStrings);

class Validator {
  /** Validate against a subschema into a result of its own (for combinators to weigh). */
  private sub(s: Schema, v: Json, path: Path, depth: number): Result {
    const r = new Result();
    this.validate(s, v, r, path, depth);
    return r;
  }

  /**
   * gojsonschema's validateRecursive. `depth` counts schemas applied to this same value in a
   * chain; moving to a child value starts again from zero.
   */
  validate(s: Schema, v: Json, r: Result, path: Path, depth: number): void {
    if (depth > SAME_VALUE_DEPTH) throw new SchemaRecursionError();
    if (s.pass !== undefined) {
      if (!s.pass) r.add('false', path, 'False always fails validation');
      return;
    }
    if (s.ref !== undefined) {
      this.validate(s.ref, v, r, path, depth + 1);
      return;
    }
    const given = this.typeOf(v);
    const typed = s.types.length > 0;
    const fits = s.types.includes(given) || (given === 'integer' && s.types.includes('number'));
    if (typed && !fits) {
      r.add('invalid_type', path, `Invalid type. Expected: ${typeList(s.types)}, given: ${given}`);
      return;
    }
    this.combinators(s, v, r, path, depth);
    if (Array.isArray(v)) {
      this.array(s, v, r, path);
      this.common(s, v, r, path);
    } else if (isObject(v)) {
      this.object(s, v, r, path);
      this.common(s, v, r, path);
      for (const [name, child] of s.properties) {
        if (Object.hasOwn(v, name)) this.validate(child, v[name]!, r, path.child(name), 0);
      }
    } else {
      if (typeof v === 'number' || typeof v === 'bigint') this.number(s, v, r, path);
      this.common(s, v, r, path);
      if (typeof v === 'string') this.string(s, v, r, path);
    }
    r.bump();
  }

  private typeOf(v: Json): string {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    switch (typeof v) {
      case 'number':
      case 'bigint':
        return isIntegral(v) ? 'integer' : 'number';
      case 'boolean':
        return 'boolean';
      case 'string':
        return 'string';
      default:
        return 'object';
    }
  }

  /** anyOf, oneOf, allOf, not, dependencies, if/then/else (gojsonschema's validateSchema). */
  private combinators(s: Schema, v: Json, r: Result, path: Path, depth: number): void {
    const next = depth + 1;
    if (s.anyOf.length > 0) {
      let best: Result | undefined;
      let matched = false;
      for (const alt of s.anyOf) {
        const res = this.sub(alt, v, path, next);
        if (res.valid) {
          matched = true;
          break;
        }
        if (best === undefined || res.score > best.score) best = res;
      }
      if (!matched) {
        r.add('number_any_of', path, 'Must validate at least one schema (anyOf)');
        if (best !== undefined) r.merge(best);
      }
    }

    if (s.oneOf.length > 0) {
      let passed = 0;
      let best: Result | undefined;
      for (const alt of s.oneOf) {
        const res = this.sub(alt, v, path, next);
        if (res.valid) passed++;
        else if (passed === 0 && (best === undefined || res.score > best.score)) best = res;
      }
      if (passed !== 1) {
        r.add('number_one_of', path, 'Must validate one and only one schema (oneOf)');
        if (passed === 0 && best !== undefined) r.merge(best);
      }
    }

    if (s.allOf.length > 0) {
      let passed = 0;
      for (const part of s.allOf) {
        const res = this.sub(part, v, path, next);
        if (res.valid) passed++;
        r.merge(res);
      }
      if (passed !== s.allOf.length) r.add('number_all_of', path, 'Must validate all the schemas (allOf)');
    }

    if (s.not !== undefined && this.sub(s.not, v, path, next).valid) {
      r.add('number_not', path, 'Must not validate the schema (not)');
    }

    if (s.dependencies.length > 0 && isObject(v)) {
      const deps = new Map(s.dependencies);
      for (const key of keysOf(v)) {
        const dep = deps.get(key);
        if (dep === undefined) continue;
        if (Array.isArray(dep)) {
          for (const needed of dep) {
            if (!Object.hasOwn(v, needed)) r.add('missing_dependency', path, `Has a dependency on ${needed}`);
          }
        } else {
          this.validate(dep, v, r, path, next);
        }
      }
    }

    if (s.if !== undefined) {
      const cond = this.sub(s.if, v, path, next).valid;
      const branch = cond ? s.then : s.else;
      if (branch !== undefined) {
        const res = this.sub(branch, v, path, next);
        if (!res.valid) {
          r.add(
            cond ? 'condition_then' : 'condition_else',
            path,
            cond ? 'Must validate "then" as "if" was valid' : 'Must validate "else" as "if" was not valid',
          );
          r.merge(res);
        }
      }
    }

    r.bump();
  }

  /** const, enum and format (gojsonschema's validateCommon). */
  private common(s: Schema, v: Json, r: Result, path: Path): void {
    if (s.constant !== undefined && canonicalJson(v) !== s.constant) {
      r.add('const', path, `${path.field} does not match: ${s.constant}`);
    }
    if (s.enumValues !== undefined && !s.enumValues.includes(canonicalJson(v))) {
      const allowed = s.enumValues.length === 0 ? '(none)' : s.enumValues.join(', ');
      r.add('enum', path, `${path.field} must be one of the following: ${allowed}`);
    }
    if (s.format !== undefined && s.format !== '' && !matchesFormat(s.format, v)) {
      r.add('format', path, `Does not match format '${s.format}'`);
    }
    r.bump();
  }

  private array(s: Schema, v: Json[], r: Result, path: Path): void {
    const items = s.items;
    if (items !== undefined && !Array.isArray(items)) {
      for (let i = 0; i < v.length; i++) r.merge(this.sub(items, v[i]!, path.child(i), 0));
    } else if (items !== undefined && items.length > 0) {
      const n = Math.min(items.length, v.length);
      for (let i = 0; i < n; i++) r.merge(this.sub(items[i]!, v[i]!, path.child(i), 0));
      const extra = s.additionalItems;
      if (items.length < v.length && extra !== undefined) {
        if (extra === false) {
          r.add('array_no_additional_items', path, 'No additional items allowed on array');
        } else if (extra !== true) {
          for (let i = items.length; i < v.length; i++) r.merge(this.sub(extra, v[i]!, path.child(i), 0));
        }
      }
    }

    if (s.minItems !== undefined && v.length < s.minItems) {
      r.add('array_min_items', path, `Array must have at least ${s.minItems} items`);
    }
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      r.add('array_max_items', path, `Array must have at most ${s.maxItems} items`);
    }

    if (s.uniqueItems) {
      // The last index seen for each value, as gojsonschema keeps it: [1,1,1] reports 0,1 and 1,2.
      const seen = new Map<string, number>();
      v.forEach((x, j) => {
        const key = canonicalJson(x);
        const i = seen.get(key);
        if (i !== undefined) r.add('unique', path, `array items[${i},${j}] must be unique`);
        seen.set(key, j);
      });
    }

    if (s.contains !== undefined) {
      let found = false;
      let best: Result | undefined;
      for (let i = 0; i < v.length; i++) {
        const res = this.sub(s.contains, v[i]!, path.child(i), 0);
        if (res.valid) {
          found = true;
          break;
        }
        if (best === undefined || res.score > best.score) best = res;
      }
      if (!found) {
        r.add('contains', path, 'At least one of the items must match');
        if (best !== undefined) r.merge(best);
      }
    }
    r.bump();
  }

  private object(s: Schema, v: JsonObject, r: Result, path: Path): void {
    const keys = keysOf(v);
    if (s.minProperties !== undefined && keys.length < s.minProperties) {
      r.add('array_min_properties', path, `Must have at least ${s.minProperties} properties`);
    }
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
      r.add('array_max_properties', path, `Must have at most ${s.maxProperties} properties`);
    }

    for (const name of s.required) {
      if (Object.hasOwn(v, name)) r.bump();
      else r.add('required', path, `${name} is required`);
    }

    for (const key of keys) {
      const value = v[key]!;
      let matched = false;
      for (const [pattern, schema] of s.patternProperties) {
        if (!matchesAt(pattern.re, key)) continue;
        matched = true;
        r.merge(this.sub(schema, value, path.child(key), 0));
      }
      if (matched) r.bump();
      if (matched || s.propertyNames.has(key)) continue;
      const extra = s.additionalProperties;
      if (extra === false) {
        r.add('additional_property_not_allowed', path, `Additional property ${key} is not allowed`);
      } else if (extra !== undefined && extra !== true) {
        r.merge(this.sub(extra, value, path.child(key), 0));
      }
    }

    if (s.propertyNamesSchema !== undefined) {
      for (const key of keys) {
        const res = this.sub(s.propertyNamesSchema, key, path, 0);
        if (!res.valid) {
          r.add('invalid_property_name', path, `Property name of "${key}" does not match`);
          r.merge(res);
        }
      }
    }
    r.bump();
  }

  private string(s: Schema, v: string, r: Result, path: Path): void {
    // Lengths count code points, as Go's utf8.RuneCountInString does.
    const length = s.minLength !== undefined || s.maxLength !== undefined ? [...v].length : 0;
    if (s.minLength !== undefined && length < s.minLength) {
      r.add('string_gte', path, `String length must be greater than or equal to ${s.minLength}`);
    }
    if (s.maxLength !== undefined && length > s.maxLength) {
      r.add('string_lte', path, `String length must be less than or equal to ${s.maxLength}`);
    }
    if (s.pattern !== undefined && !matchesAt(s.pattern.re, v)) {
      r.add('pattern', path, `Does not match pattern '${s.pattern.source}'`);
    }
    r.bump();
  }

  private number(s: Schema, v: number | bigint, r: Result, path: Path): void {
    const x = toDecimal(v);
    if (s.multipleOf !== undefined && !isMultipleOf(x, s.multipleOf.exact)) {
      r.add('multiple_of', path, `Must be a multiple of ${formatBound(s.multipleOf.value)}`);
    }
    if (s.maximum !== undefined && compareDecimals(x, s.maximum.exact) > 0) {
      r.add('number_lte', path, `Must be less than or equal to ${formatBound(s.maximum.value)}`);
    }
    if (s.exclusiveMaximum !== undefined && compareDecimals(x, s.exclusiveMaximum.exact) >= 0) {
      r.add('number_lt', path, `Must be less than ${formatBound(s.exclusiveMaximum.value)}`);
    }
    if (s.minimum !== undefined && compareDecimals(x, s.minimum.exact) < 0) {
      r.add('number_gte', path, `Must be greater than or equal to ${formatBound(s.minimum.value)}`);
    }
    if (s.exclusiveMinimum !== undefined && compareDecimals(x, s.exclusiveMinimum.exact) <= 0) {
      r.add('number_gt', path, `Must be greater than ${formatBound(s.exclusiveMinimum.value)}`);
    }
    r.bump();
  }
}

/** Validate `doc` against `schema`: the errors, empty when it matches. */
export function validateDocument(schema: Schema, doc: Json): SchemaResultError[] {
  const r = new Result();
  new Validator().validate(schema, doc, r, new Path('(root)'), 0);
  return r.errors;
}
