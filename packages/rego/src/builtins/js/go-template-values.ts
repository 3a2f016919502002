/**
 * Values as Go's text/template sees them when OPA renders a template. OPA decodes the vars
 * object with json.Decoder.UseNumber, so every number from the vars is a json.Number: a
 * string type, which is why `{{if .zero}}` is true, `len .n` counts digits and `eq .n 1` is
 * a type error. Numbers written in the template are Go ints and float64s instead.
 */
import type { Json } from './args.js';
import { formatFloat } from './go-float.js';
import { compareStrings } from './value.js';

/** A Go int (the template's integer literals, `len`, range indices) or a uint8 (a byte from `index`). */
export class GoInt {
  constructor(
    readonly value: bigint,
    readonly type: 'int' | 'uint8' = 'int',
  ) {}
}

/** A float64 from a template literal such as `1.5` or `1e3`. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** A number from the vars: its text, printed as is, compared as a string. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** nil is `null`; arrays are []interface{}; objects are map[string]interface{}. */
export type GoValue = null | boolean | string | GoInt | GoFloat | JsonNumber | GoValue[] | GoMap;
export type GoMap = Map<string, GoValue>;

export const isGoMap = (v: GoValue): v is GoMap => v instanceof Map;

/**
 * The json.Number OPA would hand over. OPA keeps a number's source text, which the JSON we
 * receive has lost; whole numbers print as their digits and others as JS writes them, which
 * is how plain decimal literals are spelled.
 */
function numberText(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Number.isInteger(n)) return BigInt(n).toString();
  return String(n);
}

export function fromJson(v: Json): GoValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return new JsonNumber(numberText(v));
  if (Array.isArray(v)) return v.map(fromJson);
  const m: GoMap = new Map();
  for (const k of Object.keys(v)) m.set(k, fromJson(v[k]!));
  return m;
}

/** The Go type name fmt and the template engine use in messages. */
export function goType(v: GoValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof GoInt) return v.type;
  if (v instanceof GoFloat) return 'float64';
  if (v instanceof JsonNumber) return 'json.Number';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Whether fmt's Sprint counts the operand as a string (its kind is string) when spacing. */
export const isStringKind = (v: GoValue): boolean => typeof v === 'string' || v instanceof JsonNumber;

/** fmt's %v. Maps print with sorted keys, as fmt has done since Go 1.12. */
export function formatV(v: GoValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'boolean' || typeof v === 'string') return String(v);
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof GoFloat) return formatFloat(v.value, 'g', -1);
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return '[' + v.map(formatV).join(' ') + ']';
  const keys = [...v.keys()].sort(compareStrings);
  return 'map[' + keys.map((k) => k + ':' + formatV(v.get(k)!)).join(' ') + ']';
}

/** fmt.Sprint: a space between two operands only when neither is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = isStringKind(a);
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatV(a);
    prevString = isString;
  });
  return out;
}

/** text/template's truth: false, 0, nil and empty strings, arrays and maps are false. */
export function isTrue(v: GoValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof GoInt) return v.value !== 0n;
  if (v instanceof GoFloat) return v.value !== 0;
  if (v instanceof JsonNumber) return v.text.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return v.size > 0;
}

/** Length in bytes, as Go measures a string. */
export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
