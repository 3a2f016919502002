/**
 * Builds the AssemblyScript policy runtime into dist/opa-runtime.wasm for the published
 * package (run after tsup, whose clean step empties dist): `tsx scripts/build-runtime.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRuntime, RUNTIME_WASM_FILE } from '../src/runtime/compile-runtime.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const wasm = await compileRuntime();
await mkdir(dist, { recursive: true });
await writeFile(join(dist, RUNTIME_WASM_FILE), wasm);
process.stdout.write(`wrote ${join(dist, RUNTIME_WASM_FILE)} (${wasm.length} bytes)\n`);
