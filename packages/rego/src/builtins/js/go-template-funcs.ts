/**
 * The predefined functions of Go's text/template that OPA's templates can call, over our Go
 * values. `and` and `or` are not here: they evaluate their arguments lazily, so the executor
 * runs them. Comparisons follow Go's rules, so a json.Number from the vars is a string to
 * them: `eq .n "5"` holds and `eq .n 5` is an error, exactly as in OPA.
 */

import { queryEscape } from './encoding.js';
import {
  formatV,
  GoFloat,
  GoInt,
  type GoValue,
  goType,
  isGoMap,
  isTrue,
  JsonNumber,
  sprint,
  utf8Length,
} from './go-template-values.js';
import { formatGo, type GoArg } from './sprintf.js';
import { compareStrings } from './value.js';

/** A function's failure; the executor reports it as Go does, `error calling <name>: …`. */
export class FuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuncError';
  }
}

export interface GoFunc {
  /** Parameters before the variadic ones (all of them when not variadic). */
  readonly fixed: number;
  readonly variadic: boolean;
  readonly call: (args: readonly GoValue[]) => GoValue;
}

type Kind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'invalid';

/** Go's basicKind; nil, arrays and maps have none ('invalid'). */
function basicKind(v: GoValue): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string' || v instanceof JsonNumber) return 'string';
  if (v instanceof GoInt) return v.type === 'int' ? 'int' : 'uint';
  if (v instanceof GoFloat) return 'float';
  return 'invalid';
}

const text = (v: GoValue): string => (v instanceof JsonNumber ? v.text : (v as string));
const INCOMPATIBLE = 'incompatible types for comparison';
const BAD_TYPE = 'invalid type for comparison';

function eq(args: readonly GoValue[]): boolean {
  const [a, ...rest] = args as [GoValue, ...GoValue[]];
  if (rest.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      // Go compares ints with uints by value; any other mix is an error unless one side is nil.
      if ((k1 === 'int' || k1 === 'uint') && (k2 === 'int' || k2 === 'uint')) {
        truth = (a as GoInt).value === (b as GoInt).value;
      } else if (a !== null && b !== null) {
        throw new FuncError(INCOMPATIBLE);
      }
    } else {
      switch (k1) {
        case 'bool':
          truth = a === b;
          break;
        case 'int':
        case 'uint':
          truth = (a as GoInt).value === (b as GoInt).value;
          break;
        case 'float':
          truth = (a as GoFloat).value === (b as GoFloat).value;
          break;
        case 'string':
          truth = text(a) === text(b);
          break;
        case 'invalid':
          throw new FuncError(`comparing ${goType(a)} with ${goType(b)} is not supported`);
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') throw new FuncError(BAD_TYPE);
  if (k1 !== k2) {
    if ((k1 === 'int' || k1 === 'uint') && (k2 === 'int' || k2 === 'uint')) {
      return (a as GoInt).value < (b as GoInt).value;
    }
    throw new FuncError(INCOMPATIBLE);
  }
  switch (k1) {
    case 'bool':
      throw new FuncError(BAD_TYPE);
    case 'float':
      return (a as GoFloat).value < (b as GoFloat).value;
    case 'string':
      // Go compares bytes; code-point order is the same order.
      return compareStrings(text(a), text(b)) < 0;
    default:
      return (a as GoInt).value < (b as GoInt).value;
  }
}

const le = (a: GoValue, b: GoValue): boolean => lt(a, b) || eq([a, b]);

function length(v: GoValue): GoValue {
  if (v === null) throw new FuncError('len of nil pointer');
  if (typeof v === 'string') return new GoInt(BigInt(utf8Length(v)));
  if (v instanceof JsonNumber) return new GoInt(BigInt(utf8Length(v.text)));
  if (Array.isArray(v)) return new GoInt(BigInt(v.length));
  if (isGoMap(v)) return new GoInt(BigInt(v.size));
  throw new FuncError(`len of type ${goType(v)}`);
}

function indexArg(i: GoValue, len: number, what: 'slice' | 'string'): number {
  if (i === null) throw new FuncError('cannot index slice/array with nil');
  if (!(i instanceof GoInt)) throw new FuncError(`cannot index slice/array with type ${goType(i)}`);
  if (i.value < 0n || i.value > BigInt(len)) throw new FuncError(`index out of range: ${i.value}`);
  // Go lets an index equal to the length through to reflect, which panics with this.
  if (i.value === BigInt(len)) throw new FuncError(`reflect: ${what} index out of range`);
  return Number(i.value);
}

function index(args: readonly GoValue[]): GoValue {
  let [item, ...indexes] = args as [GoValue, ...GoValue[]];
  if (item === null) throw new FuncError('index of untyped nil');
  for (const i of indexes) {
    if (item === null) throw new FuncError('index of nil pointer');
    if (Array.isArray(item)) {
      item = item[indexArg(i, item.length, 'slice')]!;
    } else if (typeof item === 'string' || item instanceof JsonNumber) {
      const bytes: Buffer = Buffer.from(text(item), 'utf8');
      item = new GoInt(BigInt(bytes[indexArg(i, bytes.length, 'string')]!), 'uint8');
    } else if (isGoMap(item)) {
      if (i === null) throw new FuncError('value is nil; should be of type string');
      if (typeof i !== 'string') throw new FuncError(`value has type ${goType(i)}; should be string`);
      item = item.has(i) ? item.get(i)! : null;
    } else {
      throw new FuncError(`can't index item of type ${goType(item)}`);
    }
  }
  return item;
}

/**
 * Arguments of html, js and urlquery: one string as is, else fmt.Sprint of them with nil
 * shown as `<no value>` (text/template's evalArgs).
 */
function escaperInput(args: readonly GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null ? '<no value>' : a)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\uFFFD',
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

const htmlEscape = (s: string): string => s.replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c]!);

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};
/** Go's unicode.IsPrint, apart from the ASCII space, which never reaches the test. */
const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp < 0x80) {
      if (c in JS_ESCAPES) out += JS_ESCAPES[c];
      else if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
      else out += c;
    } else if (GRAPHIC.test(c)) {
      out += c;
    } else {
      out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    }
  }
  return out;
}

function fmtArg(v: GoValue): GoArg {
  if (v === null) return { kind: 'nil' };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (v instanceof JsonNumber) return { kind: 'string', value: v.text, type: 'json.Number' };
  if (v instanceof GoInt)
    return v.type === 'int'
      ? { kind: 'int', value: v.value, big: false }
      : { kind: 'int', value: v.value, big: false, type: v.type };
  if (v instanceof GoFloat) return { kind: 'float', value: v.value };
  throw new FuncError(`printf of ${goType(v)} is not supported; use print`);
}

/** Runes strconv.Quote would escape but our goQuote keeps: non-ASCII that is not graphic. */
const QUOTE_UNSAFE = /[^\x00-\x9f\p{L}\p{M}\p{N}\p{P}\p{S}]/u;
/** Past this Go reports %!(BADWIDTH) or %!(BADPREC). */
const MAX_WIDTH = 1e6;

/**
 * Refuses the printf directives sprintf.ts would format differently from Go's fmt: argument
 * indexes, `*` widths, %T, the `#` flag, zero padding of non-numbers, flags and precision that
 * change %q and %x of strings, %q and invalid %c of integers, hex and binary floats.
 */
function checkPrintf(format: string, args: readonly GoArg[]): void {
  const refuse = (what: string): never => {
    throw new FuncError(`printf ${what} is not supported`);
  };
  let next = 0;
  for (let i = format.indexOf('%'); i >= 0 && i < format.length; i = format.indexOf('%', i)) {
    i++;
    const flags = /^[-+# 0]*/.exec(format.slice(i))![0];
    i += flags.length;
    const width = /^\d*/.exec(format.slice(i))![0];
    i += width.length;
    let prec: string | undefined;
    if (format[i] === '.') {
      prec = /^\d*/.exec(format.slice(i + 1))![0];
      i += 1 + prec.length;
    }
    if (format[i] === '[') refuse('with explicit argument indexes');
    if (format[i] === '*') refuse('with * width or precision');
    if (Number(width || 0) > MAX_WIDTH || Number(prec || 0) > MAX_WIDTH)
      refuse('width or precision above 1e6');
    if (i >= format.length) return;
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') continue;
    const a = args[next++];
    if (a === undefined) continue;
    if (verb === 'T') refuse('%T');
    if (flags.includes('#')) refuse('with the # flag');
    // Go drops + for %v (it means field names there); sprintf.ts would print the sign.
    if (verb === 'v' && flags.includes('+')) refuse('%+v');
    const zero = flags.includes('0') && !flags.includes('-');
    switch (a.kind) {
      case 'int':
        if (verb === 'q') refuse('%q of an integer');
        if (
          verb === 'c' &&
          (a.value < 0n || a.value > 0x10ffffn || (a.value >= 0xd800n && a.value <= 0xdfffn))
        ) {
          refuse('%c of an invalid code point');
        }
        if (zero && (verb === 'c' || verb === 'U')) refuse(`zero padding with %${verb}`);
        if (verb === 'U' && a.value < 0n) refuse('%U of a negative integer');
        break;
      case 'float':
        if ('bxX'.includes(verb)) refuse(`%${verb} of a float`);
        break;
      case 'string':
        if (zero && 'vsqxX'.includes(verb)) refuse('zero padding of a string');
        if ('qxX'.includes(verb) && prec !== undefined) refuse(`precision with %${verb}`);
        if (verb === 'q' && (flags.includes('+') || QUOTE_UNSAFE.test(a.value))) refuse('%q of this string');
        if ((verb === 'x' || verb === 'X') && flags.includes(' ')) refuse(`% ${verb}`);
        break;
      default:
        if (zero && (verb === 'v' || verb === 't')) refuse(`zero padding of ${a.kind}`);
    }
  }
}

function printf(args: readonly GoValue[]): string {
  const [format, ...rest] = args as [GoValue, ...GoValue[]];
  if (typeof format !== 'string')
    throw new FuncError(`wrong type for value; expected string; got ${goType(format)}`);
  const fmtArgs = rest.map(fmtArg);
  checkPrintf(format, fmtArgs);
  return formatGo(format, fmtArgs);
}

const fixed = (n: number, call: GoFunc['call']): GoFunc => ({ fixed: n, variadic: false, call });
const variadic = (n: number, call: GoFunc['call']): GoFunc => ({ fixed: n, variadic: true, call });

export const GO_FUNCS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['not', fixed(1, ([a]) => !isTrue(a!))],
  ['len', fixed(1, ([a]) => length(a!))],
  ['index', variadic(1, index)],
  ['print', variadic(0, sprint)],
  ['println', variadic(0, (args) => args.map(formatV).join(' ') + '\n')],
  ['printf', variadic(1, printf)],
  ['eq', variadic(1, eq)],
  ['ne', fixed(2, (args) => !eq(args))],
  ['lt', fixed(2, ([a, b]) => lt(a!, b!))],
  ['le', fixed(2, ([a, b]) => le(a!, b!))],
  ['gt', fixed(2, ([a, b]) => !le(a!, b!))],
  ['ge', fixed(2, ([a, b]) => !lt(a!, b!))],
  ['html', variadic(0, (args) => htmlEscape(escaperInput(args)))],
  ['js', variadic(0, (args) => jsEscape(escaperInput(args)))],
  ['urlquery', variadic(0, (args) => queryEscape(escaperInput(args)))],
]);
