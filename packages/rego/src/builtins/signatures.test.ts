import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SIGNATURES, getBuiltinSignature, getInfixBuiltin } from './signatures.js';

interface CapabilityBuiltin {
  name: string;
  decl: { args?: unknown[]; result?: unknown };
}

describe('BUILTIN_SIGNATURES', () => {
  it('covers every builtin the opa-wasm capabilities list declares, with the same arity', () => {
    // The package's exports map hides capabilities.json, so find it beside the entry point.
    const entry = createRequire(import.meta.url).resolve('@open-policy-agent/opa-wasm');
    const file = join(dirname(entry), '..', 'capabilities.json');
    const caps = JSON.parse(readFileSync(file, 'utf8')) as { builtins: CapabilityBuiltin[] };
    for (const b of caps.builtins) {
      const sig = getBuiltinSignature(b.name);
      expect(sig, b.name).toBeDefined();
      expect(sig?.args.length, b.name).toBe(b.decl.args?.length ?? 0);
    }
  });

  it('keeps operators, set-sensitive and pass-through builtins inside the module', () => {
    for (const name of [
      'plus',
      'equal',
      'count',
      'is_set',
      'type_name',
      'internal.member_2',
      'object.get',
      'and',
    ]) {
      expect(getBuiltinSignature(name)?.impl, name).toBe('wasm');
    }
    for (const name of ['sprintf', 'regex.match', 'time.parse_rfc3339_ns', 'net.cidr_contains']) {
      expect(getBuiltinSignature(name)?.impl, name).toBe('js');
    }
  });

  it('marks the nondeterministic builtins', () => {
    const nondet = [...BUILTIN_SIGNATURES.values()].filter((s) => s.nondeterministic).map((s) => s.name);
    expect(nondet).toEqual(
      expect.arrayContaining(['time.now_ns', 'http.send', 'rand.intn', 'uuid.rfc4122', 'net.lookup_ip_addr']),
    );
    expect(getBuiltinSignature('count')?.nondeterministic).toBeUndefined();
  });

  it('maps infix spellings', () => {
    expect(getInfixBuiltin('+')?.name).toBe('plus');
    expect(getInfixBuiltin('|')?.name).toBe('or');
    expect(getInfixBuiltin('==')?.name).toBe('equal');
  });

  it('declares a result for every builtin but the print pair', () => {
    const noResult = [...BUILTIN_SIGNATURES.values()]
      .filter((s) => s.result === undefined)
      .map((s) => s.name);
    expect(noResult.sort()).toEqual(['internal.print', 'print']);
  });
});
