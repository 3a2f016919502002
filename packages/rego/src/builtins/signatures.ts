/**
 * Every builtin a Rego v1 policy can call in OPA 1.x, with OPA's declared argument and result
 * types (from OPA's `capabilities.json` `decl`), as the compiler, planner and wasm backend see
 * them.
 *
 * Where a builtin runs (`impl`) follows one rule: a builtin lives in the wasm module when a JS
 * implementation behind `opa_builtinN` could not give OPA's answer, because
 *   1. it is an operator or unification (`plus`, `equal`, `assign` …): numbers must stay exact
 *      past 2^53 and in decimals, and these are on every hot path;
 *   2. its answer depends on whether a value is a set or an array (`is_set`, `type_name`,
 *      `count`, `internal.member_*`, set algebra, `cast_set`), which JSON erases;
 *   3. it passes caller values through into its result (`object.get`, `object.union`,
 *      `array.concat`, `sort`, `max`, `json.patch` …), where a set nested anywhere in the
 *      input would come back as an array;
 *   4. it aggregates numbers, where OPA's arbitrary-precision sum differs from float64
 *      (`sum`, `product`);
 *   5. it is a relation (`walk`), which the planner expands itself.
 * Everything else is `js`. A `js` builtin whose declared result is a set returns an array of
 * distinct members; the backend converts it to a set after parsing (rule 2 only concerns
 * sets the builtin must *read*, or values it passes through untouched).
 */

import type { BuiltinSignature, BuiltinType } from './builtin-types.js';

const any: BuiltinType = { kind: 'any' };
const nul: BuiltinType = { kind: 'null' };
const bool: BuiltinType = { kind: 'boolean' };
const num: BuiltinType = { kind: 'number' };
const str: BuiltinType = { kind: 'string' };
const arr = (of?: BuiltinType): BuiltinType => (of === undefined ? { kind: 'array' } : { kind: 'array', of });
const set = (of?: BuiltinType): BuiltinType => (of === undefined ? { kind: 'set' } : { kind: 'set', of });
const obj = (key?: BuiltinType, value?: BuiltinType): BuiltinType => {
  if (key === undefined || value === undefined) return { kind: 'object' };
  return { kind: 'object', key, value };
};
const anyOf = (...types: BuiltinType[]): BuiltinType => ({ kind: 'any_of', types });

const anyArr = arr(any);
const anySet = set(any);
const anyObj = obj(any, any);
const strObj = obj(str, any);
const strsIn = anyOf(arr(str), set(str));
const timeArg = anyOf(num, arr(any));

interface Flags {
  readonly infix?: string;
  readonly nondeterministic?: boolean;
  readonly deprecated?: boolean;
  readonly relation?: boolean;
  readonly variadic?: BuiltinType;
}

const table: BuiltinSignature[] = [];

function def(
  impl: 'wasm' | 'js',
  name: string,
  args: readonly BuiltinType[],
  result: BuiltinType | undefined,
  flags: Flags = {},
): void {
  table.push({ name, args, ...(result === undefined ? {} : { result }), impl, ...flags });
}
const w = (name: string, args: readonly BuiltinType[], result?: BuiltinType, flags?: Flags) =>
  def('wasm', name, args, result, flags);
const j = (name: string, args: readonly BuiltinType[], result?: BuiltinType, flags?: Flags) =>
  def('js', name, args, result, flags);

// Unification and comparison.
w('assign', [any, any], bool, { infix: ':=' });
w('eq', [any, any], bool, { infix: '=' });
w('equal', [any, any], bool, { infix: '==' });
w('neq', [any, any], bool, { infix: '!=' });
w('lt', [any, any], bool, { infix: '<' });
w('lte', [any, any], bool, { infix: '<=' });
w('gt', [any, any], bool, { infix: '>' });
w('gte', [any, any], bool, { infix: '>=' });
w('internal.member_2', [any, any], bool);
w('internal.member_3', [any, any, any], bool);

// Arithmetic (minus doubles as set difference).
w('plus', [num, num], num, { infix: '+' });
w('minus', [anyOf(num, anySet), anyOf(num, anySet)], anyOf(num, anySet), { infix: '-' });
w('mul', [num, num], num, { infix: '*' });
w('div', [num, num], num, { infix: '/' });
w('rem', [num, num], num, { infix: '%' });
j('abs', [num], num);
j('ceil', [num], num);
j('floor', [num], num);
j('round', [num], num);
j('numbers.range', [num, num], arr(num));
j('numbers.range_step', [num, num, num], arr(num));
j('rand.intn', [str, num], num, { nondeterministic: true });

// Bits.
j('bits.and', [num, num], num);
j('bits.or', [num, num], num);
j('bits.xor', [num, num], num);
j('bits.negate', [num], num);
j('bits.lsh', [num, num], num);
j('bits.rsh', [num, num], num);

// Sets.
w('and', [anySet, anySet], anySet, { infix: '&' });
w('or', [anySet, anySet], anySet, { infix: '|' });
w('intersection', [set(anySet)], anySet);
w('union', [set(anySet)], anySet);
w('set_diff', [anySet, anySet], anySet, { deprecated: true });

// Aggregates.
w('count', [anyOf(anySet, anyArr, anyObj, str)], num);
w('sum', [anyOf(set(num), arr(num))], num);
w('product', [anyOf(set(num), arr(num))], num);
w('max', [anyOf(anySet, anyArr)], any);
w('min', [anyOf(anySet, anyArr)], any);
w('sort', [anyOf(anyArr, anySet)], anyArr);
w('all', [anyOf(anySet, anyArr)], bool, { deprecated: true });
w('any', [anyOf(anySet, anyArr)], bool, { deprecated: true });

// Arrays.
w('array.concat', [anyArr, anyArr], anyArr);
w('array.slice', [anyArr, num, num], anyArr);
w('array.reverse', [anyArr], anyArr);

// Objects.
w('object.get', [anyObj, any, any], any);
w('object.keys', [anyObj], anySet);
w('object.remove', [anyObj, anyOf(anyArr, anySet, anyObj)], anyObj);
w('object.filter', [anyObj, anyOf(anyArr, anySet, anyObj)], anyObj);
w('object.union', [anyObj, anyObj], any);
w('object.union_n', [arr(anyObj)], any);
w('object.subset', [anyOf(anyObj, anySet, anyArr), anyOf(anyObj, anySet, anyArr)], bool);
const jsonPaths = anyOf(arr(anyOf(str, anyArr)), set(anyOf(str, anyArr)));
w('json.filter', [anyObj, jsonPaths], any);
w('json.remove', [anyObj, jsonPaths], any);
w('json.patch', [any, arr(obj(str, any))], any);

// Types.
w('is_array', [any], bool);
w('is_boolean', [any], bool);
w('is_null', [any], bool);
w('is_number', [any], bool);
w('is_object', [any], bool);
w('is_set', [any], bool);
w('is_string', [any], bool);
w('type_name', [any], str);

// Conversions (the casts are deprecated and gone from v1 policies, kept for v0 bundles).
j('to_number', [anyOf(nul, bool, num, str)], num);
w('cast_array', [any], anyArr, { deprecated: true });
w('cast_set', [any], anySet, { deprecated: true });
j('cast_string', [any], str, { deprecated: true });
j('cast_boolean', [any], bool, { deprecated: true });
j('cast_null', [any], nul, { deprecated: true });
j('cast_object', [any], anyObj, { deprecated: true });

// Strings.
j('concat', [str, strsIn], str);
j('contains', [str, str], bool);
j('endswith', [str, str], bool);
j('startswith', [str, str], bool);
j('format_int', [num, num], str);
j('indexof', [str, str], num);
j('indexof_n', [str, str], arr(num));
j('lower', [str], str);
j('upper', [str], str);
j('replace', [str, str, str], str);
j('split', [str, str], arr(str));
j('sprintf', [str, anyArr], str);
j('substring', [str, num, num], str);
j('trim', [str, str], str);
j('trim_left', [str, str], str);
j('trim_right', [str, str], str);
j('trim_prefix', [str, str], str);
j('trim_suffix', [str, str], str);
j('trim_space', [str], str);
j('strings.any_prefix_match', [anyOf(str, arr(str), set(str)), anyOf(str, arr(str), set(str))], bool);
j('strings.any_suffix_match', [anyOf(str, arr(str), set(str)), anyOf(str, arr(str), set(str))], bool);
j('strings.count', [str, str], num);
j('strings.render_template', [str, strObj], str);
j('strings.replace_n', [obj(str, str), str], str);
j('strings.reverse', [str], str);

// Regular expressions (RE2 syntax, as Go's regexp).
j('regex.match', [str, str], bool);
j('re_match', [str, str], bool, { deprecated: true });
j('regex.is_valid', [str], bool);
j('regex.split', [str, str], arr(str));
j('regex.find_n', [str, str, num], arr(str));
j('regex.find_all_string_submatch_n', [str, str, num], arr(arr(str)));
j('regex.replace', [str, str, str], str);
j('regex.template_match', [str, str, str, str], bool);
j('regex.globs_match', [str, str], bool);

// Glob.
j('glob.match', [str, anyOf(nul, arr(str)), str], bool);
j('glob.quote_meta', [str], str);

// Units.
j('units.parse', [str], num);
j('units.parse_bytes', [str], num);

// Encoding.
j('base64.encode', [str], str);
j('base64.decode', [str], str);
j('base64.is_valid', [str], bool);
j('base64url.encode', [str], str);
j('base64url.encode_no_pad', [str], str);
j('base64url.decode', [str], str);
j('hex.encode', [str], str);
j('hex.decode', [str], str);
j('json.marshal', [any], str);
j('json.marshal_with_options', [any, obj(str, any)], str);
j('json.unmarshal', [str], any);
j('json.is_valid', [str], bool);
j('json.match_schema', [anyOf(str, anyObj), anyOf(str, anyObj)], arr(any));
j('json.verify_schema', [anyOf(str, anyObj)], arr(any));
j('yaml.marshal', [any], str);
j('yaml.unmarshal', [str], any);
j('yaml.is_valid', [str], bool);
j('urlquery.encode', [str], str);
j('urlquery.decode', [str], str);
j('urlquery.encode_object', [obj(str, anyOf(str, arr(str), set(str)))], str);
j('urlquery.decode_object', [str], obj(str, arr(str)));

// Tokens.
j('io.jwt.decode', [str], arr(any));
j('io.jwt.decode_verify', [str, strObj], arr(any));
j('io.jwt.encode_sign', [strObj, strObj, strObj], str, { nondeterministic: true });
j('io.jwt.encode_sign_raw', [str, str, str], str, { nondeterministic: true });
for (const alg of [
  'es256',
  'es384',
  'es512',
  'hs256',
  'hs384',
  'hs512',
  'ps256',
  'ps384',
  'ps512',
  'rs256',
  'rs384',
  'rs512',
]) {
  j(`io.jwt.verify_${alg}`, [str, str], bool);
}

// Time (nanoseconds since the Unix epoch; a time argument may be [ns, timezone]).
j('time.now_ns', [], num, { nondeterministic: true });
j('time.parse_ns', [str, str], num);
j('time.parse_rfc3339_ns', [str], num);
j('time.parse_duration_ns', [str], num);
j('time.date', [timeArg], arr(num));
j('time.clock', [timeArg], arr(num));
j('time.weekday', [timeArg], str);
j('time.add_date', [num, num, num, num], num);
j('time.diff', [timeArg, timeArg], arr(num));
j('time.format', [timeArg], str);

// Cryptography.
j('crypto.md5', [str], str);
j('crypto.sha1', [str], str);
j('crypto.sha256', [str], str);
j('crypto.hmac.md5', [str, str], str);
j('crypto.hmac.sha1', [str, str], str);
j('crypto.hmac.sha256', [str, str], str);
j('crypto.hmac.sha512', [str, str], str);
j('crypto.hmac.equal', [str, str], bool);
j('crypto.parse_private_keys', [str], arr(anyObj));
j('crypto.x509.parse_certificates', [str], arr(anyObj));
j('crypto.x509.parse_and_verify_certificates', [str], arr(any));
j('crypto.x509.parse_and_verify_certificates_with_options', [str, anyObj], arr(any));
j('crypto.x509.parse_certificate_request', [str], anyObj);
j('crypto.x509.parse_keypair', [str, str], anyObj);
j('crypto.x509.parse_rsa_private_key', [str], anyObj);

// Networks.
j('net.cidr_contains', [str, str], bool);
j('net.cidr_intersects', [str, str], bool);
j('net.cidr_overlap', [str, str], bool, { deprecated: true });
j('net.cidr_is_valid', [str], bool);
j('net.cidr_expand', [str], set(str));
j('net.cidr_merge', [anyOf(arr(str), set(str))], set(str));
const cidrs = anyOf(str, anyArr, anySet, anyObj);
j('net.cidr_contains_matches', [cidrs, cidrs], set(arr(any)));
j('net.lookup_ip_addr', [str], set(str), { nondeterministic: true });

// UUID and semver.
j('uuid.rfc4122', [str], str, { nondeterministic: true });
j('uuid.parse', [str], anyObj);
j('semver.is_valid', [any], bool);
j('semver.compare', [str, str], num);

// Graphs.
j('graph.reachable', [obj(any, anyOf(anyArr, anySet)), anyOf(anyArr, anySet)], anySet);
j('graph.reachable_paths', [obj(any, anyOf(anyArr, anySet)), anyOf(anyArr, anySet)], set(anyArr));
w('walk', [any], arr(any), { relation: true });

// GraphQL.
const gqlDoc = anyOf(str, anyObj);
j('graphql.is_valid', [gqlDoc, gqlDoc], bool);
j('graphql.parse', [gqlDoc, gqlDoc], arr(anyObj));
j('graphql.parse_and_verify', [gqlDoc, gqlDoc], arr(any));
j('graphql.parse_query', [str], anyObj);
j('graphql.parse_schema', [str], anyObj);
j('graphql.schema_is_valid', [gqlDoc], bool);

// Host access and introspection.
j('http.send', [strObj], anyObj, { nondeterministic: true });
j('providers.aws.sign_req', [anyObj, anyObj, num], anyObj);
j('opa.runtime', [], anyObj, { nondeterministic: true });
j('rego.parse_module', [str, str], anyObj);
j('rego.metadata.chain', [], anyArr);
j('rego.metadata.rule', [], any);
j('trace', [str], bool);
// `print(a, b …)` is rewritten by the compiler to `internal.print([{a…}, {b…}])`: each argument
// becomes the set of its values so an undefined argument prints as <undefined>.
j('print', [], undefined, { variadic: any });
j('internal.print', [arr(anySet)], undefined);

/** Every OPA 1.x builtin, by the name OPA gives it. */
export const BUILTIN_SIGNATURES: ReadonlyMap<string, BuiltinSignature> = new Map(
  table.map((sig) => [sig.name, Object.freeze(sig)] as const),
);

export function getBuiltinSignature(name: string): BuiltinSignature | undefined {
  return BUILTIN_SIGNATURES.get(name);
}

/** The signature of an infix operator (`+` → `plus`), for the parser's and planner's use. */
export function getInfixBuiltin(operator: string): BuiltinSignature | undefined {
  for (const sig of BUILTIN_SIGNATURES.values()) if (sig.infix === operator) return sig;
  return undefined;
}
