/**
 * OPA's sprintf: Go's fmt.Sprintf over the arguments as OPA converts them. Whole numbers
 * become Go ints (big.Int when large), other numbers float64, strings stay strings, and
 * everything else — booleans, null, arrays, objects — becomes its Rego text, so `%t` of true
 * prints `%!t(string=true)` exactly as OPA does.
 */
import { arr, type Json, str } from './args.js';
import { formatFloat } from './go-float.js';
import { compareStrings } from './value.js';

/**
 * An operand as Go's fmt sees it. OPA's sprintf only makes ints, floats and strings; the
 * template printf also passes booleans and nil, and names types fmt would report differently
 * (`uint8`, `json.Number`) through `type`.
 */
export type GoArg =
  | { kind: 'int'; value: bigint; big: boolean; type?: string }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string; type?: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' };

/** Rego's text form of a value (ast.Term.String()), used for non-number, non-string args. */
export function regoText(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return numberText(v);
  if (Array.isArray(v)) return '[' + v.map(regoText).join(', ') + ']';
  const keys = Object.keys(v).sort(compareStrings);
  return '{' + keys.map((k) => JSON.stringify(k) + ': ' + regoText(v[k]!)).join(', ') + '}';
}

function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return String(n);
}

function toGoArg(v: Json): GoArg {
  if (typeof v === 'bigint') return { kind: 'int', value: v, big: v > 2n ** 63n - 1n || v < -(2n ** 63n) };
  if (typeof v === 'number') {
    // Past 2^53 a JSON number has already lost its digits; treat it as the float it is.
    if (Number.isSafeInteger(v)) return { kind: 'int', value: BigInt(v), big: false };
    return { kind: 'float', value: v };
  }
  if (typeof v === 'string') return { kind: 'string', value: v };
  return { kind: 'string', value: regoText(v) };
}

function goTypeName(a: GoArg): string {
  switch (a.kind) {
    case 'int':
      return a.type ?? (a.big ? '*big.Int' : 'int');
    case 'float':
      return 'float64';
    case 'string':
      return a.type ?? 'string';
    case 'bool':
      return 'bool';
    case 'nil':
      return '<nil>';
  }
}

/** How fmt names an operand in its error forms: `int=5`, or `<nil>` alone. */
function typedValue(a: GoArg): string {
  if (a.kind === 'nil') return '<nil>';
  const value = a.kind === 'float' ? formatFloat(a.value, 'g', -1) : String(a.value);
  return `${goTypeName(a)}=${value}`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, spec: Spec, zeroOk: boolean): string {
  const len = [...s].length;
  if (spec.width === undefined || len >= spec.width) return s;
  const n = spec.width - len;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && zeroOk) {
    const sign = s[0] === '-' || s[0] === '+' || s[0] === ' ' ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function signed(s: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + s;
  if (spec.plus) return '+' + s;
  if (spec.space) return ' ' + s;
  return s;
}

function fmtInt(v: bigint, verb: string, spec: Spec): string | undefined {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let body: string;
  switch (verb) {
    case 'd':
    case 'v':
      body = a.toString(10);
      break;
    case 'b':
      body = a.toString(2);
      break;
    case 'o':
      body = (spec.sharp ? '0' : '') + a.toString(8);
      break;
    case 'O':
      body = '0o' + a.toString(8);
      break;
    case 'x':
      body = (spec.sharp ? '0x' : '') + a.toString(16);
      break;
    case 'X':
      body = (spec.sharp ? '0X' : '') + a.toString(16).toUpperCase();
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(a)), spec, false);
    case 'q':
      return pad("'" + String.fromCodePoint(Number(a)) + "'", spec, false);
    case 'U':
      return pad('U+' + a.toString(16).toUpperCase().padStart(4, '0'), spec, false);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) body = spec.prec === 0 && a === 0n ? '' : body.padStart(spec.prec, '0');
  return pad(signed(body, neg, spec), spec, spec.prec === undefined);
}

function fmtFloatVerb(v: number, verb: string, spec: Spec): string | undefined {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s = formatFloat(v, verb === 'G' ? 'G' : 'g', spec.prec ?? -1);
      break;
    case 'e':
    case 'E':
      s = formatFloat(v, verb, spec.prec ?? 6);
      break;
    case 'f':
    case 'F':
      s = formatFloat(v, 'f', spec.prec ?? 6);
      break;
    default:
      return undefined;
  }
  if (s[0] !== '-' && s[0] !== '+' && s !== 'NaN') s = signed(s, false, spec);
  else if (s === '+Inf' && !spec.plus) s = spec.space ? ' Inf' : 'Inf';
  return pad(s, spec, Number.isFinite(v));
}

/** strconv.Quote: Go escapes, printable runes kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function fmtString(v: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      const s = spec.prec === undefined ? v : [...v].slice(0, spec.prec).join('');
      return pad(s, spec, false);
    }
    case 'q':
      return pad(goQuote(v), spec, false);
    case 'x':
    case 'X': {
      let hex = Buffer.from(v, 'utf8').toString('hex');
      if (verb === 'X') hex = hex.toUpperCase();
      return pad(hex, spec, false);
    }
    default:
      return undefined;
  }
}

function formatOne(a: GoArg, verb: string, spec: Spec): string {
  let out: string | undefined;
  if (a.kind === 'int') out = fmtInt(a.value, verb, spec);
  else if (a.kind === 'float') out = fmtFloatVerb(a.value, verb, spec);
  else if (a.kind === 'string') out = fmtString(a.value, verb, spec);
  else if (a.kind === 'bool')
    out = verb === 'v' || verb === 't' ? pad(String(a.value), spec, false) : undefined;
  else out = verb === 'v' ? pad('<nil>', spec, false) : undefined;
  if (out !== undefined) return out;
  // Go's bad-verb form: %!f(int=5).
  return `%!${verb}(${typedValue(a)})`;
}

export function sprintf(format: string, values: readonly Json[]): string {
  return formatGo(format, values.map(toGoArg));
}

/** fmt.Sprintf over operands already in Go's terms. */
export function formatGo(format: string, args: readonly GoArg[]): string {
  let next = 0;
  let out = '';
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = {
      minus: false,
      plus: false,
      space: false,
      zero: false,
      sharp: false,
      width: undefined,
      prec: undefined,
    };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else if (c === '#') spec.sharp = true;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[next++];
        return a?.kind === 'int' ? Number(a.value) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = readNum();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const a = args[next++];
    if (a === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(a, verb, spec);
  }
  if (next < args.length) {
    const extra = args.slice(next).map(typedValue);
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

export function builtinSprintf(format: unknown, values: unknown): string {
  const f = str('sprintf', format, 1);
  const v = arr('sprintf', values, 2);
  return sprintf(f, v);
}
