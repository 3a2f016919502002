/**
 * OPA bundles as `opa build -t wasm` writes them: `/policy.wasm` plus data files. Data from
 * `a/b/data.json` belongs at `data.a.b`; all data files are merged into one document.
 */
import { PolicyLoadError } from './errors.js';
import { readTar } from './tar.js';

export interface Bundle {
  readonly wasm: Uint8Array;
  readonly data: Record<string, unknown>;
}

const decoder = new TextDecoder();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else target[key] = value;
  }
}

export function readBundle(archive: Uint8Array): Bundle {
  let wasm: Uint8Array | undefined;
  const data: Record<string, unknown> = {};
  let entries: ReturnType<typeof readTar>;
  try {
    entries = readTar(archive);
  } catch (cause) {
    throw new PolicyLoadError('not a readable bundle archive', { cause });
  }
  for (const entry of entries) {
    const path = entry.path.replace(/^\.?\/+/, '');
    const segments = path.split('/').filter((s) => s !== '');
    const base = segments[segments.length - 1];
    if (path === 'policy.wasm' || (base === 'policy.wasm' && wasm === undefined)) {
      wasm = entry.data;
    } else if (base === 'data.json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(entry.data));
      } catch (cause) {
        throw new PolicyLoadError(`bundle file ${path} is not valid JSON`, { cause });
      }
      let node = data;
      for (const key of segments.slice(0, -1)) {
        const next = node[key];
        if (isObject(next)) node = next;
        else node = node[key] = {};
      }
      if (isObject(parsed)) mergeInto(node, parsed);
      else throw new PolicyLoadError(`bundle file ${path} must hold a JSON object`);
    }
  }
  if (wasm === undefined) throw new PolicyLoadError('bundle holds no policy.wasm');
  return { wasm, data };
}
