/**
 * `opa.runtime()`: OPA returns the runtime's configuration, environment and version when it
 * runs as a server, and an empty object when no runtime is configured, as when a policy is
 * embedded. Ours is always embedded.
 */
import type { JsBuiltin } from '../builtin-types.js';

export const OPA_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['opa.runtime', () => ({})],
]);
