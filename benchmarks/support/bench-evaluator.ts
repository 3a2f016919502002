/**
 * What the benchmarks' proxy processes share: required settings from the environment, and the
 * evaluator they decide with (the shipped policy library compiled to wasm, or with
 * POLICY=function an allow-all function: the floor the proxy itself costs).
 */

import { fileURLToPath } from 'node:url';
import { type Evaluator, staticEvaluator } from '@portcullis/core';
import { createRegoEvaluator, loadFiles } from '@portcullis/rego';

export const requiredEnv = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

/** An evaluator that allows everything: the floor a proxy or the engine costs by itself. */
export const allowAllEvaluator = (): Evaluator =>
  staticEvaluator(() => ({ effect: 'allow', reasons: [], masks: [] }), 'allow-all');

export async function benchEvaluator(): Promise<Evaluator> {
  return process.env.POLICY === 'function' ? allowAllEvaluator() : shippedPolicyEvaluator();
}

/** The shipped policy library (rego/, without its tests) compiled to wasm. */
export async function shippedPolicyEvaluator(): Promise<Evaluator> {
  const regoDir = fileURLToPath(new URL('../../rego', import.meta.url));
  const files = await loadFiles([regoDir]);
  return createRegoEvaluator({
    policy: files.sources.filter((s) => !s.file.endsWith('_test.rego')),
    entrypoint: 'portcullis/decision',
    data: files.data,
  });
}
