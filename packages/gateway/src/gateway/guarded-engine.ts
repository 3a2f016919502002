import type { DecisionResult, Engine, PolicyRequest } from '@portcullis/core';

/** Claim under which the gateway puts the id of the credential a session logged in with. */
export const CREDENTIAL_CLAIM = 'portcullis_credential';

export interface EngineHooks {
  /** False when the session's credential has been revoked or has expired since it connected. */
  credentialActive(id: string): boolean | Promise<boolean>;
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
  const check = async (request: PolicyRequest, result: DecisionResult): Promise<DecisionResult> => {
    const id = request.subject.claims?.[CREDENTIAL_CLAIM];
    if (typeof id !== 'string') return result;
    let active: boolean;
    let unreachable = false;
    try {
      active = await hooks.credentialActive(id);
    } catch {
      // A shared state store that cannot be reached cannot vouch for the credential: fail closed.
      active = false;
      unreachable = true;
    }
    if (active) return result;
    return {
      ...result,
      // As an engine failure: adapters do not remember the deny (a state store back up, or a
      // new login, must not meet it again), and the audit record names what stopped it.
      evaluation: {
        ...result.evaluation,
        error: unreachable
          ? { code: 'PC_GATEWAY_STATE', message: 'the state store could not confirm the credential' }
          : { code: 'PC_GATEWAY_CREDENTIAL', message: 'the credential was revoked or has expired' },
      },
      decision: {
        effect: 'deny',
        reasons: [
          unreachable
            ? {
                rule: 'portcullis.state_unavailable',
                message: "the state store could not confirm this session's credential; try again shortly",
              }
            : {
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
      const result = await check(request, await engine.decide(request));
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
    // Passed through so that adapters notice a policy swapped in (a polled bundle) and decide
    // their prepared statements again.
    get generation() {
      return engine.generation ?? 0;
    },
    invalidate: () => engine.invalidate?.(),
    // The pg proxy shares decisions between sessions only where the policy cannot tell them
    // apart, which it learns here; without it each session decides for itself.
    get inputPaths() {
      return engine.inputPaths;
    },
    // The pg proxy's native lane needs it (and forgets what it holds at each new policy);
    // without it the gateway's sessions would relay every statement in JavaScript.
    ...(engine.onGeneration && { onGeneration: engine.onGeneration.bind(engine) }),
  };
}
