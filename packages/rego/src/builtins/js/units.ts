/**
 * units.parse (SI and binary suffixes, `m` for milli) and units.parse_bytes (integer bytes),
 * amounts in plain or scientific notation.
 * Amounts are exact decimals: "1.5Gi" is computed without float rounding, as OPA's
 * big.Float does.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { str } from './args.js';
import { fromBig } from './numbers.js';

/** A decimal as mantissa × 10^exp. */
interface Decimal {
  m: bigint;
  exp: number;
}

/**
 * Largest decimal exponent taken: `1e999999999` would otherwise have the exact arithmetic
 * build a billion-digit power of ten from a policy's input.
 */
const MAX_EXPONENT = 1000;

function parseDecimal(s: string): Decimal | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  if (Math.abs(Number(m[4] ?? 0)) > MAX_EXPONENT) return undefined;
  const frac = m[3] ?? '';
  const digits = BigInt((m[2] ?? '') + frac || '0');
  return { m: m[1] === '-' ? -digits : digits, exp: -frac.length + Number(m[4] ?? 0) };
}

function toNumber(d: Decimal): number | bigint {
  if (d.exp >= 0) return fromBig(d.m * 10n ** BigInt(d.exp));
  const scale = 10n ** BigInt(-d.exp);
  if (d.m % scale === 0n) return fromBig(d.m / scale);
  return Number(`${d.m}e${d.exp}`);
}

/**
 * The leading amount (digits and dots, and an exponent: `2.5e3K`) and the rest. An `e` or `E`
 * is an exponent only when digits follow it, so `5E` stays five exa, as in OPA.
 */
function split(s: string): [string, string] {
  const m = /^[+-]?[0-9.]*(?:[eE][+-]?\d+)?/.exec(s)!;
  return [m[0], s.slice(m[0].length)];
}

const SI: Record<string, Decimal> = {
  '': { m: 1n, exp: 0 },
  m: { m: 1n, exp: -3 },
  k: { m: 1n, exp: 3 },
  K: { m: 1n, exp: 3 },
  M: { m: 1n, exp: 6 },
  g: { m: 1n, exp: 9 },
  G: { m: 1n, exp: 9 },
  t: { m: 1n, exp: 12 },
  T: { m: 1n, exp: 12 },
  p: { m: 1n, exp: 15 },
  P: { m: 1n, exp: 15 },
  e: { m: 1n, exp: 18 },
  E: { m: 1n, exp: 18 },
};
const BINARY = ['ki', 'mi', 'gi', 'ti', 'pi', 'ei'];

function binary(unit: string): Decimal | undefined {
  const i = BINARY.indexOf(unit.toLowerCase());
  return i < 0 ? undefined : { m: 1n << BigInt(10 * (i + 1)), exp: 0 };
}

function parse(x: unknown): number | bigint {
  const raw = str('units.parse', x, 1).replace(/"/g, '');
  if (raw.includes(' ')) throw builtinError('units.parse', 'spaces not allowed in resource strings');
  const [amount, rawUnit] = split(raw);
  if (amount === '' || amount === '+' || amount === '-')
    throw builtinError('units.parse', 'no amount provided');
  // Only letters after the first fold case, so 'm' (milli) and 'M' (mega) stay apart.
  const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
  const mult = unit.length === 2 ? binary(unit) : SI[unit];
  if (mult === undefined) throw builtinError('units.parse', `unit ${unit} not recognized`);
  const d = parseDecimal(amount);
  if (d === undefined) throw builtinError('units.parse', 'could not parse amount to a number');
  return toNumber({ m: d.m * mult.m, exp: d.exp + mult.exp });
}

function parseBytes(x: unknown): number | bigint {
  const raw = str('units.parse_bytes', x, 1).replace(/"/g, '');
  if (raw.includes(' ')) throw builtinError('units.parse_bytes', 'spaces not allowed in resource strings');
  const [amount, rawUnit] = split(raw);
  if (amount === '' || amount === '+' || amount === '-') {
    throw builtinError('units.parse_bytes', 'no byte amount provided');
  }
  const unit = rawUnit.toLowerCase();
  let mult: Decimal | undefined;
  if (unit === '' || unit === 'b') mult = { m: 1n, exp: 0 };
  else if (/^[kmgtpe]b?$/.test(unit)) mult = { m: 1n, exp: 3 * ('kmgtpe'.indexOf(unit[0]!) + 1) };
  else if (/^[kmgtpe]ib?$/.test(unit)) mult = binary(unit.slice(0, 2));
  if (mult === undefined) throw builtinError('units.parse_bytes', `byte unit ${unit} not recognized`);
  const d = parseDecimal(amount);
  if (d === undefined) throw builtinError('units.parse_bytes', 'could not parse byte amount to a number');
  // Whole bytes: the product is truncated toward zero.
  const total = { m: d.m * mult.m, exp: d.exp + mult.exp };
  const whole = total.exp >= 0 ? total.m * 10n ** BigInt(total.exp) : total.m / 10n ** BigInt(-total.exp);
  return fromBig(whole);
}

export const UNIT_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['units.parse', parse],
  ['units.parse_bytes', parseBytes],
]);
