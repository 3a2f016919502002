/** semver.is_valid and semver.compare, by SemVer 2.0.0 (no leading "v"). */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { str } from './args.js';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Version {
  core: [bigint, bigint, bigint];
  pre: string[];
}

function parse(s: string): Version | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return {
    core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)],
    pre: m[4] === undefined ? [] : m[4].split('.'),
  };
}

function compareIdent(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Math.sign(Number(BigInt(a) - BigInt(b)));
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(x: Version, y: Version): number {
  for (let i = 0; i < 3; i++) {
    if (x.core[i]! !== y.core[i]!) return x.core[i]! < y.core[i]! ? -1 : 1;
  }
  // A pre-release sorts before its release.
  if (x.pre.length === 0 || y.pre.length === 0)
    return y.pre.length - x.pre.length === 0 ? 0 : x.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const c = compareIdent(x.pre[i]!, y.pre[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(x.pre.length - y.pre.length);
}

function compare(a: unknown, b: unknown): number {
  const sa = str('semver.compare', a, 1);
  const sb = str('semver.compare', b, 2);
  const x = parse(sa);
  if (x === undefined)
    throw builtinError('semver.compare', `operand 1: string ${JSON.stringify(sa)} is not a valid SemVer`);
  const y = parse(sb);
  if (y === undefined)
    throw builtinError('semver.compare', `operand 2: string ${JSON.stringify(sb)} is not a valid SemVer`);
  return compareSemver(x, y);
}

export const SEMVER_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['semver.is_valid', (x) => typeof x === 'string' && parse(x) !== undefined],
  ['semver.compare', compare],
]);
