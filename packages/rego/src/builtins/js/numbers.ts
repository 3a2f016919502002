/**
 * Number builtins. Whole numbers may arrive as bigint from a lossless bridge and then stay
 * exact (OPA's numbers are arbitrary precision); results go back as plain numbers when they
 * fit exactly and as bigint otherwise.
 */
import { randomInt } from 'node:crypto';
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { num, str, typeError } from './args.js';

/** Longest array numbers.range / range_step will build; OPA has no cap, a gateway must. */
export const MAX_RANGE_LENGTH = 1_000_000;

export function fromBig(b: bigint): number | bigint {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** An integer operand as bigint, or OPA's type error for a fractional number. */
export function bigIntOperand(builtin: string, value: unknown, pos: number): bigint {
  const n = num(builtin, value, pos);
  if (typeof n === 'bigint') return n;
  if (!Number.isInteger(n)) {
    throw new BuiltinError(
      builtin,
      'eval_type_error',
      `operand ${pos} must be integer number but got floating-point number`,
    );
  }
  return BigInt(n);
}

function unary(name: string, f: (n: number) => number): JsBuiltin {
  return (x) => {
    const n = num(name, x, 1);
    if (typeof n === 'bigint') return name === 'abs' ? fromBig(n < 0n ? -n : n) : n;
    return f(n);
  };
}

/** Go's math.Round: half away from zero. */
const roundHalfAway = (n: number): number => Math.sign(n) * Math.round(Math.abs(n)) + 0;

function range(name: string, a: bigint, b: bigint, step: bigint): (number | bigint)[] {
  const length = (b >= a ? b - a : a - b) / step + 1n;
  if (length > BigInt(MAX_RANGE_LENGTH)) {
    throw builtinError(name, `range of ${length} elements exceeds the limit of ${MAX_RANGE_LENGTH}`);
  }
  const out: (number | bigint)[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(fromBig(i));
  else for (let i = a; i >= b; i -= step) out.push(fromBig(i));
  return out;
}

function numbersRange(a: unknown, b: unknown) {
  const x = bigIntOperand('numbers.range', a, 1);
  const y = bigIntOperand('numbers.range', b, 2);
  return range('numbers.range', x, y, 1n);
}

function numbersRangeStep(a: unknown, b: unknown, s: unknown) {
  const x = bigIntOperand('numbers.range_step', a, 1);
  const y = bigIntOperand('numbers.range_step', b, 2);
  const step = bigIntOperand('numbers.range_step', s, 3);
  if (step <= 0n) throw builtinError('numbers.range_step', 'step must be a positive integer');
  return range('numbers.range_step', x, y, step);
}

function randIntn(seed: unknown, n: unknown): number {
  str('rand.intn', seed, 1);
  let max = Number(bigIntOperand('rand.intn', n, 2));
  if (max < 0) max = -max;
  if (max === 0) return 0;
  return randomInt(Math.min(max, 2 ** 48 - 1));
}

function bits2(name: string, f: (a: bigint, b: bigint) => bigint): JsBuiltin {
  return (a, b) => fromBig(f(bigIntOperand(name, a, 1), bigIntOperand(name, b, 2)));
}

function shift(name: string, left: boolean): JsBuiltin {
  return (a, b) => {
    const x = bigIntOperand(name, a, 1);
    const s = bigIntOperand(name, b, 2);
    if (s < 0n) {
      throw new BuiltinError(
        name,
        'eval_type_error',
        'operand 2 must be an unsigned integer number but got a negative integer',
      );
    }
    if (left && s > 4096n) throw builtinError(name, 'shift too large');
    return fromBig(left ? x << s : x >> s);
  };
}

/** strconv.ParseFloat's decimal syntax (hex floats and underscores are not worth carrying). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function toNumber(x: unknown): number | bigint {
  if (x === null) return 0;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number' || typeof x === 'bigint') return x;
  if (typeof x === 'string') {
    // Go's ParseFloat would take these; OPA refuses them as a type error, not a parse error.
    if (/^[+-]?(?:nan|inf|infinity)$/i.test(x)) throw typeError('to_number', 1, 'valid number string', x);
    if (!DECIMAL.test(x))
      throw builtinError('to_number', `strconv.ParseFloat: parsing ${JSON.stringify(x)}: invalid syntax`);
    const n = Number(x);
    if (!Number.isFinite(n)) {
      throw builtinError('to_number', `strconv.ParseFloat: parsing ${JSON.stringify(x)}: value out of range`);
    }
    if (/^[+-]?\d+$/.test(x) && !Number.isSafeInteger(n)) return BigInt(x);
    return n;
  }
  throw typeError('to_number', 1, 'one of {boolean, null, number, string}', x);
}

export const NUMBER_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['abs', unary('abs', Math.abs)],
  ['ceil', unary('ceil', (n) => Math.ceil(n) + 0)],
  ['floor', unary('floor', Math.floor)],
  ['round', unary('round', roundHalfAway)],
  ['numbers.range', numbersRange],
  ['numbers.range_step', numbersRangeStep],
  ['rand.intn', randIntn],
  ['bits.and', bits2('bits.and', (a, b) => a & b)],
  ['bits.or', bits2('bits.or', (a, b) => a | b)],
  ['bits.xor', bits2('bits.xor', (a, b) => a ^ b)],
  ['bits.negate', (a) => fromBig(~bigIntOperand('bits.negate', a, 1))],
  ['bits.lsh', shift('bits.lsh', true)],
  ['bits.rsh', shift('bits.rsh', false)],
  ['to_number', toNumber],
]);
