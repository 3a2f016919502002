/**
 * Collects what `opa test <paths>` reads: every .rego file under the paths (directories
 * recursively, in a stable order) and every data.json / data.yaml, each merged into `data`
 * at the path of its directory relative to the root it was found under (as OPA's loader does).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { RegoSourceFile } from './executor.js';

export interface LoadedFiles {
  readonly sources: RegoSourceFile[];
  readonly data: Record<string, unknown>;
}

const DATA_FILES = new Set(['data.json', 'data.yaml', 'data.yml']);

async function walk(path: string, out: string[]): Promise<void> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    out.push(path);
    return;
  }
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) await walk(child, out);
    else if (entry.isFile()) out.push(child);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `value` into `target` at `path`; objects merge, anything else replaces. */
export function mergeAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path) {
    const next = node[key];
    if (isObject(next)) node = next;
    else {
      const fresh: Record<string, unknown> = {};
      node[key] = fresh;
      node = fresh;
    }
  }
  if (!isObject(value)) throw new Error(`data file at ${path.join('.') || 'the root'} is not an object`);
  for (const [k, v] of Object.entries(value)) {
    const existing = node[k];
    if (isObject(existing) && isObject(v)) mergeAt(node, [k], v);
    else node[k] = v;
  }
}

export async function loadFiles(paths: readonly string[]): Promise<LoadedFiles> {
  const sources: RegoSourceFile[] = [];
  const data: Record<string, unknown> = {};
  for (const root of paths) {
    const files: string[] = [];
    await walk(root, files);
    const rootIsDir = (await stat(root)).isDirectory();
    for (const file of files) {
      if (file.endsWith('.rego')) {
        sources.push({ file, source: await readFile(file, 'utf8') });
        continue;
      }
      if (!DATA_FILES.has(basename(file))) continue;
      const text = await readFile(file, 'utf8');
      let value: unknown;
      try {
        value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      } catch (err) {
        throw new Error(`${file}: cannot parse data file: ${(err as Error).message}`, { cause: err });
      }
      const dir = rootIsDir ? relative(root, dirname(file)) : '';
      const prefix = dir === '' ? [] : dir.split(sep).filter((p) => p.length > 0);
      try {
        mergeAt(data, prefix, value ?? {});
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return { sources, data };
}
