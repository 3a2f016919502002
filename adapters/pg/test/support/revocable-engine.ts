import type { Engine } from '@portcullis/core';

/** What a revocable engine is told and counts. */
export interface Revocation {
  revoked: boolean;
  /** Statements decided (each login's connect decision is not counted). */
  decided: number;
}

/**
 * The engine an embedder wraps (as the gateway does): it denies every statement once the
 * session's login is revoked. With `generations`, it passes on the inner engine's
 * `onGeneration`, which the native lane needs; without, a proxy on it has no lane.
 */
export function revocableEngine(inner: Engine, generations: boolean): { engine: Engine; state: Revocation } {
  const state: Revocation = { revoked: false, decided: 0 };
  const engine: Engine = {
    async decide(request) {
      if (request.sql !== undefined) state.decided += 1;
      const result = await inner.decide(request);
      if (!state.revoked) return result;
      return {
        ...result,
        decision: {
          effect: 'deny',
          reasons: [{ rule: 'test.revoked', message: 'login revoked' }],
          masks: [],
        },
      };
    },
    decideInput: (input) => inner.decideInput(input),
    clearCache: () => inner.clearCache(),
    close: () => inner.close(),
  };
  const onGeneration = inner.onGeneration?.bind(inner);
  if (generations && onGeneration) engine.onGeneration = onGeneration;
  return { engine, state };
}
