/** Builtin arities from a signature table, plus the internal names only the compiler emits. */
import type { BuiltinSignature } from '../builtins/builtin-types.js';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';

export type BuiltinTable = ReadonlyMap<string, BuiltinSignature> | Readonly<Record<string, BuiltinSignature>>;

export function builtinArities(table: BuiltinTable = BUILTIN_SIGNATURES): Map<string, number> {
  const out = new Map<string, number>();
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  for (const [name, sig] of entries) out.set(name, (sig as BuiltinSignature).args.length);
  return out;
}
