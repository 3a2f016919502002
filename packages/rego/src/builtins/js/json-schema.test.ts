import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);
const match = (doc: unknown, schema: unknown) => call('json.match_schema', doc, schema) as [boolean, Err[]];
const verify = (schema: unknown) => call('json.verify_schema', schema) as [boolean, string | null];

interface Err {
  error: string;
  type: string;
  field: string;
  desc: string;
}

/** An error as OPA returns it: `error` is always `<field>: <desc>`. */
const err = (type: string, field: string, desc: string): Err => ({
  error: `${field}: ${desc}`,
  type,
  field,
  desc,
});

/** The [type, field, desc] of each error, for compact expectations. */
const errorsOf = (doc: unknown, schema: unknown) =>
  match(doc, schema)[1].map((e) => [e.type, e.field, e.desc]);

const matchError = (doc: unknown, schema: unknown): string => {
  try {
    match(doc, schema);
  } catch (e) {
    expect(e).toBeInstanceOf(BuiltinError);
    expect((e as BuiltinError).code).toBe('eval_builtin_error');
    return (e as Error).message;
  }
  throw new Error('expected a builtin error');
};

const idSchema = { properties: { id: { type: 'integer' } }, required: ['id'] };

describe('json.match_schema', () => {
  it('matches objects and JSON text, as document and as schema', () => {
    expect(match({ id: 5 }, idSchema)).toEqual([true, []]);
    expect(match('{"id": 5}', idSchema)).toEqual([true, []]);
    expect(match({ id: 5 }, JSON.stringify(idSchema))).toEqual([true, []]);
    expect(match('[1, 2]', { items: { type: 'integer' } })).toEqual([true, []]);
  });

  it('reports errors in gojsonschema ResultError shape', () => {
    expect(match({ id: 'foo' }, idSchema)).toEqual([
      false,
      [err('invalid_type', 'id', 'Invalid type. Expected: integer, given: string')],
    ]);
    expect(match({}, idSchema)).toEqual([false, [err('required', '(root)', 'id is required')]]);
  });

  it('raises a builtin error for an invalid schema or operand', () => {
    expect(matchError({ id: 'foo' }, { properties: { id: { type: 'unknown' } } })).toBe(
      'json.match_schema: has a primitive type that is NOT VALID -- given: /unknown/ Expected valid values are:[array boolean integer number null object string]',
    );
    expect(matchError('{', idSchema)).toBe('json.match_schema: invalid JSON string');
    expect(matchError({}, '{')).toBe('json.match_schema: invalid JSON string');
    expect(matchError(5, idSchema)).toBe('json.match_schema: wrong type, expected string or object');
    expect(matchError({}, 'null')).toBe('json.match_schema: schema is invalid');
  });

  it('checks types, with integer as a number without a fraction', () => {
    const schema = {
      properties: { n: { type: 'integer' }, m: { type: ['string', 'null'] }, x: { type: 'number' } },
    };
    expect(match({ n: 2.0, m: null, x: 3 }, schema)[0]).toBe(true);
    expect(match({ n: 12345678901234567890n }, schema)[0]).toBe(true);
    expect(errorsOf({ n: 2.5, m: 1, x: 'a' }, schema)).toEqual([
      ['invalid_type', 'm', 'Invalid type. Expected: [string,null], given: integer'],
      ['invalid_type', 'n', 'Invalid type. Expected: integer, given: number'],
      ['invalid_type', 'x', 'Invalid type. Expected: number, given: string'],
    ]);
    expect(errorsOf([true, {}, null], { items: { type: 'string' } })).toEqual([
      ['invalid_type', '0', 'Invalid type. Expected: string, given: boolean'],
      ['invalid_type', '1', 'Invalid type. Expected: string, given: object'],
      ['invalid_type', '2', 'Invalid type. Expected: string, given: null'],
    ]);
  });

  it('checks numbers exactly, and prints bounds as Go prints a big.Float', () => {
    const schema = (s: object) => ({ properties: { a: s } });
    expect(match({ a: 0.3 }, schema({ multipleOf: 0.1 }))[0]).toBe(true);
    expect(match({ a: 1.1 }, schema({ multipleOf: 0.1 }))[0]).toBe(true);
    expect(errorsOf({ a: 0.35 }, schema({ multipleOf: 0.1 }))).toEqual([
      ['multiple_of', 'a', 'Must be a multiple of 0.1'],
    ]);
    expect(
      errorsOf({ a: 10 }, schema({ maximum: 5, exclusiveMaximum: 10, minimum: 11, exclusiveMinimum: 20 })),
    ).toEqual([
      ['number_lte', 'a', 'Must be less than or equal to 5'],
      ['number_lt', 'a', 'Must be less than 10'],
      ['number_gte', 'a', 'Must be greater than or equal to 11'],
      ['number_gt', 'a', 'Must be greater than 20'],
    ]);
    expect(errorsOf({ a: 2e10 }, schema({ maximum: 12345678900.5 }))).toEqual([
      ['number_lte', 'a', 'Must be less than or equal to 1.23456789e+10'],
    ]);
    expect(errorsOf({ a: 0 }, schema({ minimum: 0.00001 }))).toEqual([
      ['number_gte', 'a', 'Must be greater than or equal to 1e-05'],
    ]);
  });

  it('reads exclusive bounds as booleans in draft 4 and as numbers later', () => {
    const draft4 = {
      $schema: 'http://json-schema.org/draft-04/schema#',
      properties: { a: { maximum: 10, exclusiveMaximum: true, minimum: 1, exclusiveMinimum: false } },
    };
    expect(errorsOf({ a: 10 }, draft4)).toEqual([['number_lt', 'a', 'Must be less than 10']]);
    expect(match({ a: 1 }, draft4)[0]).toBe(true);
    expect(matchError({}, { $schema: 'http://json-schema.org/draft-04/schema#', exclusiveMaximum: 3 })).toBe(
      'json.match_schema: Invalid type. Expected: boolean, given: exclusiveMaximum',
    );
    expect(
      matchError({}, { $schema: 'http://json-schema.org/draft-07/schema#', exclusiveMaximum: true }),
    ).toBe('json.match_schema: Invalid type. Expected: number, given: exclusiveMaximum');
    // Without $schema both forms are accepted.
    expect(errorsOf('5', '{"maximum": 5, "exclusiveMaximum": true}')).toEqual([
      ['number_lt', '(root)', 'Must be less than 5'],
    ]);
  });

  it('checks strings by code points, and patterns with RE2 semantics', () => {
    const schema = { properties: { s: { minLength: 3, maxLength: 4, pattern: '^[a-z]+$' } } };
    expect(match({ s: 'abcd' }, schema)[0]).toBe(true);
    expect(match({ s: '😀😀😀' }, { properties: { s: { maxLength: 3 } } })[0]).toBe(true);
    expect(errorsOf({ s: 'AB' }, schema)).toEqual([
      ['string_gte', 's', 'String length must be greater than or equal to 3'],
      ['pattern', 's', "Does not match pattern '^[a-z]+$'"],
    ]);
    expect(errorsOf({ s: 'abcde' }, schema)).toEqual([
      ['string_lte', 's', 'String length must be less than or equal to 4'],
    ]);
    // Unanchored, as Go's MatchString.
    expect(match('"xaby"', { pattern: 'ab' })[0]).toBe(true);
  });

  it('checks arrays: items, tuples, additionalItems, sizes, uniqueness, contains', () => {
    expect(errorsOf([1, 'x', 3], { items: [{ type: 'integer' }], additionalItems: false })).toEqual([
      ['array_no_additional_items', '(root)', 'No additional items allowed on array'],
    ]);
    expect(
      errorsOf([1, 'x', 3], { items: [{ type: 'integer' }], additionalItems: { type: 'string' } }),
    ).toEqual([['invalid_type', '2', 'Invalid type. Expected: string, given: integer']]);
    // additionalItems only applies after a tuple.
    expect(match([1, 2], { items: { type: 'integer' }, additionalItems: false })[0]).toBe(true);
    expect(errorsOf([1, 1, 1], { minItems: 4, maxItems: 2, uniqueItems: true })).toEqual([
      ['array_min_items', '(root)', 'Array must have at least 4 items'],
      ['array_max_items', '(root)', 'Array must have at most 2 items'],
      ['unique', '(root)', 'array items[0,1] must be unique'],
      ['unique', '(root)', 'array items[1,2] must be unique'],
    ]);
    expect(match([1, 1.0, { a: 1, b: 2 }, { b: 2, a: 1 }], { uniqueItems: true })[1]).toHaveLength(2);
    expect(errorsOf([1, 'a'], { contains: { type: 'boolean' } })).toEqual([
      ['contains', '(root)', 'At least one of the items must match'],
      ['invalid_type', '0', 'Invalid type. Expected: boolean, given: integer'],
    ]);
    expect(errorsOf([], { contains: {} })).toEqual([
      ['contains', '(root)', 'At least one of the items must match'],
    ]);
  });

  it('checks objects: sizes, required, properties, patternProperties, additionalProperties, propertyNames', () => {
    expect(errorsOf({ a: 1 }, { minProperties: 2 })).toEqual([
      ['array_min_properties', '(root)', 'Must have at least 2 properties'],
    ]);
    const schema = {
      maxProperties: 1,
      required: ['z', 'a'],
      properties: { a: { type: 'string' } },
      patternProperties: { '^x': { type: 'integer' } },
      additionalProperties: false,
    };
    expect(errorsOf({ a: 1, xy: 'no', other: true }, schema)).toEqual([
      ['array_max_properties', '(root)', 'Must have at most 1 properties'],
      ['required', '(root)', 'z is required'],
      ['additional_property_not_allowed', '(root)', 'Additional property other is not allowed'],
      ['invalid_type', 'xy', 'Invalid type. Expected: integer, given: string'],
      ['invalid_type', 'a', 'Invalid type. Expected: string, given: integer'],
    ]);
    expect(errorsOf({ b: 1 }, { additionalProperties: { type: 'string' } })).toEqual([
      ['invalid_type', 'b', 'Invalid type. Expected: string, given: integer'],
    ]);
    expect(errorsOf({ ab: 1, b: 2 }, { propertyNames: { maxLength: 1 } })).toEqual([
      ['invalid_property_name', '(root)', 'Property name of "ab" does not match'],
      ['string_lte', '(root)', 'String length must be less than or equal to 1'],
    ]);
  });

  it('names nested fields with dots from the root', () => {
    const schema = { properties: { a: { items: { properties: { b: { type: 'string' } } } } } };
    expect(match({ a: [{ b: 'x' }, { b: 1 }] }, schema)[1]).toEqual([
      err('invalid_type', 'a.1.b', 'Invalid type. Expected: string, given: integer'),
    ]);
  });

  it('checks dependencies (property lists and schemas)', () => {
    const schema = { dependencies: { a: ['b', 'c'], d: { required: ['e'] } } };
    expect(errorsOf({ a: 1, c: 1, d: 1 }, schema)).toEqual([
      ['missing_dependency', '(root)', 'Has a dependency on b'],
      ['required', '(root)', 'e is required'],
    ]);
    expect(match({ c: 1 }, schema)[0]).toBe(true);
  });

  it('checks enum and const by value, worded with Go JSON', () => {
    expect(match({ a: 1.0 }, { properties: { a: { enum: [1, 'x'] } } })[0]).toBe(true);
    expect(match({ a: { y: [1], x: 2 } }, { properties: { a: { const: { x: 2, y: [1] } } } })[0]).toBe(true);
    expect(errorsOf({ a: 'b' }, { properties: { a: { enum: ['a<', 2, { k: null }] } } })).toEqual([
      ['enum', 'a', 'a must be one of the following: "a\\u003c", 2, {"k":null}'],
    ]);
    expect(errorsOf('3', { const: [3] })).toEqual([['const', '(root)', '(root) does not match: [3]']]);
    expect(errorsOf('3', { enum: [] })).toEqual([
      ['enum', '(root)', '(root) must be one of the following: (none)'],
    ]);
  });

  it('combines schemas: allOf, anyOf, oneOf, not, if/then/else', () => {
    expect(errorsOf('5', { allOf: [{ minimum: 6 }, { maximum: 4 }, { type: 'integer' }] })).toEqual([
      ['number_gte', '(root)', 'Must be greater than or equal to 6'],
      ['number_lte', '(root)', 'Must be less than or equal to 4'],
      ['number_all_of', '(root)', 'Must validate all the schemas (allOf)'],
    ]);
    // anyOf explains the branch that came closest (here the second: right type, wrong bound).
    expect(
      errorsOf({ a: 5 }, { anyOf: [{ type: 'string' }, { properties: { a: { minimum: 10 } } }] }),
    ).toEqual([
      ['number_any_of', '(root)', 'Must validate at least one schema (anyOf)'],
      ['number_gte', 'a', 'Must be greater than or equal to 10'],
    ]);
    expect(match('5', '{"anyOf": [{"type": "string"}, {"minimum": 1}]}')[0]).toBe(true);
    expect(errorsOf('5', '{"oneOf": [{"type": "integer"}, {"minimum": 1}]}')).toEqual([
      ['number_one_of', '(root)', 'Must validate one and only one schema (oneOf)'],
    ]);
    expect(errorsOf('5', '{"oneOf": [{"type": "string"}, {"minimum": 6}]}')).toEqual([
      ['number_one_of', '(root)', 'Must validate one and only one schema (oneOf)'],
      ['number_gte', '(root)', 'Must be greater than or equal to 6'],
    ]);
    expect(errorsOf('5', '{"not": {"type": "integer"}}')).toEqual([
      ['number_not', '(root)', 'Must not validate the schema (not)'],
    ]);
    const cond = '{"if": {"minimum": 10}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}';
    expect(errorsOf('11', cond)).toEqual([
      ['condition_then', '(root)', 'Must validate "then" as "if" was valid'],
      ['multiple_of', '(root)', 'Must be a multiple of 2'],
    ]);
    expect(errorsOf('5', cond)).toEqual([
      ['condition_else', '(root)', 'Must validate "else" as "if" was not valid'],
      ['number_lte', '(root)', 'Must be less than or equal to 0'],
    ]);
    expect(match('12', cond)[0]).toBe(true);
  });

  it('takes true and false as schemas from draft 6 on', () => {
    expect(match({ a: 1 }, 'true')).toEqual([true, []]);
    expect(errorsOf({ a: 1 }, { properties: { a: false } })).toEqual([
      ['false', 'a', 'False always fails validation'],
    ]);
    expect(matchError({}, { $schema: 'http://json-schema.org/draft-04/schema#', not: true })).toBe(
      'json.match_schema: Expected: schema, given: Invalid JSON',
    );
  });

  it('ignores keywords of later drafts under an earlier $schema', () => {
    const s = (draft: string) => ({
      $schema: `http://json-schema.org/draft-0${draft}/schema#`,
      const: 1,
      if: false,
    });
    expect(match('2', s('4'))[0]).toBe(true);
    expect(errorsOf('2', s('6'))).toEqual([['const', '(root)', '(root) does not match: 1']]);
    expect(match('2', s('7'))[0]).toBe(false);
  });

  it('resolves local references: pointers, the root, $id names, recursion', () => {
    const tree = {
      $id: 'http://example.com/tree.json',
      definitions: {
        node: {
          type: 'object',
          properties: { kids: { type: 'array', items: { $ref: '#/definitions/node' } } },
        },
        name: { $id: 'name.json', type: 'string' },
      },
      properties: { root: { $ref: '#/definitions/node' }, name: { $ref: 'name.json' } },
    };
    expect(match({ root: { kids: [{ kids: [] }] }, name: 'x' }, tree)[0]).toBe(true);
    expect(errorsOf({ root: { kids: [{ kids: [1] }] }, name: 2 }, tree)).toEqual([
      ['invalid_type', 'name', 'Invalid type. Expected: string, given: integer'],
      ['invalid_type', 'root.kids.0.kids.0', 'Invalid type. Expected: object, given: integer'],
    ]);
    const list = { type: 'array', items: { $ref: '#' }, maxItems: 1 };
    expect(errorsOf([[[1, 2]]], list)).toEqual([
      ['invalid_type', '0.0.0', 'Invalid type. Expected: array, given: integer'],
      ['invalid_type', '0.0.1', 'Invalid type. Expected: array, given: integer'],
      ['array_max_items', '0.0', 'Array must have at most 1 items'],
    ]);
    expect(
      match(
        { 'a/b': 1 },
        {
          definitions: { 'x/y': { type: 'integer' } },
          properties: { 'a/b': { $ref: '#/definitions/x~1y' } },
        },
      )[0],
    ).toBe(true);
  });

  it('refuses references it would have to fetch, and schemas that recurse without end', () => {
    expect(matchError({}, { $ref: 'http://example.com/schema.json' })).toBe(
      'json.match_schema: remote reference loading disabled: http://example.com/schema.json',
    );
    expect(matchError({}, { properties: { a: { $ref: 'file:///etc/passwd' } } })).toBe(
      'json.match_schema: file reference loading disabled: file:///etc/passwd',
    );
    expect(matchError({}, { $ref: 'other.json' })).toBe(
      'json.match_schema: Reference other.json must be canonical',
    );
    expect(matchError({}, { $ref: '#/definitions/nope', definitions: {} })).toBe(
      "json.match_schema: Object has no key 'nope'",
    );
    expect(matchError({}, { $ref: '#' })).toMatch(/^json.match_schema: schema applies itself/);
    expect(
      matchError(
        {},
        { definitions: { a: { allOf: [{ $ref: '#/definitions/a' }] } }, $ref: '#/definitions/a' },
      ),
    ).toMatch(/without end/);
  });

  it('checks formats as gojsonschema does, and passes unknown ones', () => {
    const ok = (format: string, value: string) => match({ v: value }, { properties: { v: { format } } })[0];
    const table: [string, string, boolean][] = [
      ['date-time', '2020-01-01T10:00:00Z', true],
      ['date-time', '2020-01-01T10:00:00.123456+05:30', true],
      ['date-time', '2020-02-29', true],
      ['date-time', '10:00:00', true],
      ['date-time', '2021-02-29T10:00:00Z', false],
      ['date-time', '2020-01-01t10:00:00Z', false],
      ['date-time', '2020-01-01T24:00:00Z', false],
      ['date', '2020-12-31', true],
      ['date', '2020-13-01', false],
      ['time', '23:59:59-07:00', true],
      ['time', '23:60:00', false],
      ['email', 'someone@example.com', true],
      ['email', 'Some One <someone@example.com>', true],
      ['email', '"quoted local"@example.com', true],
      ['email', 'someone', false],
      ['email', 'a..b@example.com', false],
      ['email', 'a@b@c', false],
      ['email', 'someone@[192.168.0.1]', true],
      ['email', 'someone@[example]', false],
      ['ipv4', '192.168.0.1', true],
      ['ipv4', '192.168.0.01', false],
      ['ipv4', '::1', false],
      ['ipv6', '2001:db8::1', true],
      ['ipv6', '192.168.0.1', false],
      ['ipv6', '2001:db8::g', false],
      ['uri', 'https://example.com/a?b=c#d', true],
      ['uri', 'urn:isbn:0451450523', true],
      ['uri', '/just/a/path', false],
      ['uri', 'http://exa mple.com/', false],
      ['uri', 'http://example.com/%zz', false],
      ['uri', 'http://example.com:8x/', false],
      ['uri', 'http://%41.example.com/', false],
      ['uri-reference', '/just/a/path', true],
      ['uri-reference', 'a\\b', false],
      ['hostname', 'a-b.example.com', true],
      ['hostname', '-ab.example.com', false],
      ['uuid', '123E4567-e89b-12d3-a456-426614174000', true],
      ['uuid', '123e4567e89b12d3a456426614174000', false],
      ['json-pointer', '/a~1b/0', true],
      ['json-pointer', 'a', false],
      ['relative-json-pointer', '0/a', true],
      ['relative-json-pointer', '01/a', false],
      ['regex', '^a+$', true],
      ['regex', '(', false],
      ['uri-template', 'http://example.com/{id}', true],
      ['uri-template', 'http://example.com/{id', false],
      ['no-such-format', 'anything', true],
    ];
    for (const [format, value, want] of table)
      expect([format, value, ok(format, value)]).toEqual([format, value, want]);
    expect(errorsOf({ v: 'x' }, { properties: { v: { format: 'email' } } })).toEqual([
      ['format', 'v', "Does not match format 'email'"],
    ]);
    // Only strings are checked.
    expect(match({ v: 5 }, { properties: { v: { format: 'email' } } })[0]).toBe(true);
  });

  it('gives the same answers when a compiled schema is reused', () => {
    const schema = { properties: { a: { type: 'string' } } };
    expect(match({ a: 1 }, schema)).toEqual(match({ a: 1 }, schema));
    expect(match({ a: 'x' }, schema)).toEqual([true, []]);
    const bad = { type: 'nope' };
    expect(matchError({}, bad)).toBe(matchError({}, bad));
  });
});

describe('json.verify_schema', () => {
  it('accepts valid schemas given as text or objects', () => {
    expect(verify('{"type": "boolean"}')).toEqual([true, null]);
    expect(verify({ type: 'boolean' })).toEqual([true, null]);
    expect(verify('false')).toEqual([true, null]);
    expect(verify({ $schema: 'http://json-schema.org/draft-07/schema#', properties: {}, $ref: '#' })).toEqual(
      [true, null],
    );
  });

  it('returns gojsonschema messages for invalid schemas', () => {
    const cases: [unknown, string][] = [
      [
        '{"type": "unknown_type"}',
        'has a primitive type that is NOT VALID -- given: /unknown_type/ Expected valid values are:[array boolean integer number null object string]',
      ],
      [{ type: ['string', 'string'] }, 'string type is duplicated'],
      [{ type: 5 }, 'Invalid type. Expected: type, given: string/array of strings'],
      [{ $schema: 5 }, '$schema must be of type string'],
      [{ title: 5 }, 'Invalid type. Expected: string, given: title'],
      [{ definitions: [] }, 'Invalid type. Expected: array of schemas, given: definitions'],
      [{ properties: 5 }, 'properties must be of type object'],
      [{ properties: { a: 5 } }, 'Expected: schema, given: Invalid JSON'],
      [{ additionalProperties: 5 }, 'Invalid type. Expected: boolean/schema, given: additionalProperties'],
      [{ patternProperties: { '(': {} } }, "Invalid regex pattern '('"],
      [{ propertyNames: 5 }, 'Invalid type. Expected: schema, given: patternProperties'],
      [{ dependencies: { a: [1] } }, 'dependency must be of type schema or array of strings'],
      [{ items: 5 }, 'Invalid type. Expected: schema/array of schemas, given: items'],
      [{ additionalItems: 5 }, 'Invalid type. Expected: boolean/schema, given: additionalItems'],
      [{ multipleOf: 0 }, 'multipleOf must be strictly greater than 0'],
      [{ multipleOf: 'x' }, 'Invalid type. Expected: number, given: multipleOf'],
      [{ minimum: 'x' }, 'minimum must be of a number'],
      [{ exclusiveMinimum: true }, 'exclusiveMinimum cannot be used without minimum'],
      [{ exclusiveMaximum: 'x' }, 'Invalid type. Expected: boolean/number, given: exclusiveMaximum'],
      [{ minLength: 1.5 }, 'minLength must be of an integer'],
      [{ maxItems: -1 }, 'maxItems must be greater than or equal to 0'],
      [{ minLength: 2, maxLength: 1 }, 'minLength cannot be greater than maxLength'],
      [{ minProperties: 2, maxProperties: 1 }, 'minProperties cannot be greater than maxProperties'],
      [{ pattern: '(' }, 'pattern must be a valid regex'],
      [{ format: 1 }, 'Invalid type. Expected: string, given: format'],
      [{ required: 'a' }, 'required must be of an array'],
      [{ required: [1] }, 'Invalid type. Expected: string, given: required'],
      [{ required: ['a', 'a'] }, 'required items must be unique'],
      [{ uniqueItems: 1 }, 'uniqueItems must be of a boolean'],
      [{ enum: [1, 1.0] }, 'enum items must be unique'],
      [{ anyOf: {} }, 'anyOf must be of an array'],
      [{ not: 1 }, 'not must be of an object'],
      [{ if: 1 }, 'if must be of an object'],
      [{ $ref: '#/definitions/x' }, "Object has no key 'definitions'"],
      [{ $ref: '#/required/3', required: ['a'] }, "Out of bound array[0,3] index '1'"],
      [{ $ref: '#/required', required: ['a'] }, 'schema must be of type object'],
      [
        { $ref: 'https://example.com/s.json' },
        'remote reference loading disabled: https://example.com/s.json',
      ],
      ['[]', 'schema is invalid'],
      ['{"type": ', 'invalid JSON string'],
    ];
    for (const [schema, message] of cases)
      expect([schema, verify(schema)]).toEqual([schema, [false, `jsonschema: ${message}`]]);
  });

  it('reports the first fault in gojsonschema keyword order', () => {
    expect(verify({ uniqueItems: 1, type: 'x', minLength: -1 })).toEqual([
      false,
      'jsonschema: has a primitive type that is NOT VALID -- given: /x/ Expected valid values are:[array boolean integer number null object string]',
    ]);
    expect(verify({ required: 1, minLength: -1 })).toEqual([
      false,
      'jsonschema: minLength must be greater than or equal to 0',
    ]);
  });
});
