import type { DecisionResult, Engine, PolicyRequest } from '@portcullis/core';

/** Claim under which the gateway puts the id of the credential a session logged in with. */
export const CREDENTIAL_CLAIM = 'portcullis_credential';

export interface EngineHooks {
  /** False when the session's credential has been revoked or has expired since it connected. */
  credentialActive(id: string): boolean;
  /** Called with every final decision, for metrics. */
  observe?(result: DecisionResult, elapsedMs: number): void;
}

/**
 * Wraps the engine the adapters call, so that each statement re-checks the credential the
 * session authenticated with: the pg adapter has no per-statement identity hook, but every
 * statement goes through `decide`, and the subject carries the credential id in its claims.
 * A dead credential turns the decision into a deny (the statement never reaches the server).
 */
export function guardEngine(engine: Engine, hooks: EngineHooks): Engine {
  const check = (request: PolicyRequest, result: DecisionResult): DecisionResult => {
    const id = request.subject.claims?.[CREDENTIAL_CLAIM];
    if (typeof id !== 'string' || hooks.credentialActive(id)) return result;
    return {
      ...result,
      decision: {
        effect: 'deny',
        reasons: [
          {
            rule: 'portcullis.credential_revoked',
            message:
              'the credential this session logged in with was revoked or has expired; reconnect with a new one',
          },
        ],
        masks: [],
      },
    };
  };
  return {
    async decide(request) {
      const started = performance.now();
      const result = check(request, await engine.decide(request));
      hooks.observe?.(result, performance.now() - started);
      return result;
    },
    async decideInput(input) {
      const started = performance.now();
      const result = await engine.decideInput(input);
      hooks.observe?.(result, performance.now() - started);
      return result;
    },
    clearCache: () => engine.clearCache(),
    close: () => engine.close(),
  };
}
