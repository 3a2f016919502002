import { loadPolicy } from '../load/index.js';
import type { RegoExecutor } from './executor.js';

/**
 * The production path as an executor: modules compiled to WebAssembly by our backend and run
 * by @open-policy-agent/opa-wasm, so `portcullis test` exercises exactly what ships.
 */
export function createWasmExecutor(): RegoExecutor {
  return {
    name: 'wasm',
    async load(sources, entrypoints, data) {
      const policy = await loadPolicy([...sources], { entrypoints, data: data ?? {} });
      return {
        evaluate(entrypoint, input) {
          return policy.evaluate(input, entrypoint).map((r) => ({ result: r.result }));
        },
      };
    },
  };
}
