/**
 * Builds the AssemblyScript policy runtime (packages/rego/runtime) to WebAssembly bytes with
 * asc's programmatic API. Builds are cached on disk under a key that covers every source
 * file, the asconfig, extra entries and the compiler version, so a test run recompiles only
 * after the runtime changed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The runtime could not be built: asc reported errors, or the sources are missing. */
export class RuntimeBuildError extends Error {
  readonly code = 'PC_REGO_RUNTIME_BUILD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeBuildError';
  }
}

export interface CompileRuntimeOptions {
  /**
   * Extra AssemblyScript entry files, compiled together with the runtime: file name (ending
   * in `.ts`, resolved inside runtime/assembly, so `./index` imports the runtime) to source.
   * Their exports join the runtime's. Tests use this to add a policy's `eval`.
   */
  readonly extraEntries?: Readonly<Record<string, string>>;
  /** Where built modules are cached; `false` disables the cache. */
  readonly cacheDir?: string | false;
  /** Keep function names in the binary (asc `--debug`), for CPU profiles that name them. */
  readonly debug?: boolean;
}

/** File name of the prebuilt runtime in the package's dist (written by `npm run build`). */
export const RUNTIME_WASM_FILE = 'opa-runtime.wasm';

/** The package root: the nearest ancestor directory holding runtime/asconfig.json or dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (
      existsSync(join(dir, 'runtime', 'asconfig.json')) ||
      existsSync(join(dir, 'dist', RUNTIME_WASM_FILE))
    ) {
      return dir;
    }
    dir = dirname(dir);
  }
  throw new RuntimeBuildError('cannot locate the @portcullis/rego package root from ' + import.meta.url);
}

/** The directory of the AssemblyScript runtime sources. */
export function runtimeSourceDir(): string {
  return join(packageRoot(), 'runtime');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && (e.name.endsWith('.ts') || e.name === 'asconfig.json'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !relative(dir, path).startsWith('dist' + sep))
    .sort();
}

async function cacheKey(dir: string, extra: Readonly<Record<string, string>>): Promise<string> {
  const require = createRequire(import.meta.url);
  const ascVersion = (require('assemblyscript/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(`asc ${ascVersion}\0`);
  for (const file of await sourceFiles(dir)) {
    hash
      .update(relative(dir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  for (const name of Object.keys(extra).sort()) hash.update(`extra ${name}\0${extra[name]}\0`);
  return hash.digest('hex').slice(0, 32);
}

function defaultCacheDir(): string {
  return join(packageRoot(), 'node_modules', '.cache', 'portcullis-opa-runtime');
}

async function compile(
  dir: string,
  extra: Readonly<Record<string, string>>,
  debug: boolean,
): Promise<Uint8Array> {
  const { default: asc } = await import('assemblyscript/asc');
  const virtual = new Map(
    Object.entries(extra).map(([name, text]) => [resolve(dir, 'assembly', name), text]),
  );
  let binary: Uint8Array | undefined;
  const stderr: string[] = [];
  const result = await asc.main(
    [
      // asconfig.json names assembly/index.ts as the entry and holds every compiler option.
      ...Object.keys(extra).map((name) => `assembly/${name}`),
      '--baseDir',
      dir,
      '--config',
      'asconfig.json',
      '--target',
      'release',
      '--outFile',
      'runtime.wasm',
      ...(debug ? ['--debug'] : []),
    ],
    {
      readFile: async (name, baseDir) => {
        const path = resolve(baseDir, name);
        const text = virtual.get(path);
        if (text !== undefined) return text;
        try {
          return await readFile(path, 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (name, contents) => {
        if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
      listFiles: async (dirname, baseDir) => {
        try {
          return await readdir(resolve(baseDir, dirname));
        } catch {
          return null;
        }
      },
      stdout: { write: () => true } as never,
      stderr: {
        write: (chunk: string | Uint8Array) => {
          stderr.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
          return true;
        },
      } as never,
    } as Parameters<typeof asc.main>[1],
  );
  if (result.error !== null || binary === undefined) {
    throw new RuntimeBuildError(`asc failed to build the runtime:\n${stderr.join('')}`, {
      cause: result.error ?? undefined,
    });
  }
  return binary;
}

/**
 * The runtime's wasm bytes, compiled from runtime/ (or taken from the cache). Requires the
 * `assemblyscript` dev dependency.
 */
export async function compileRuntime(options: CompileRuntimeOptions = {}): Promise<Uint8Array> {
  const dir = runtimeSourceDir();
  if (!existsSync(join(dir, 'asconfig.json'))) {
    throw new RuntimeBuildError(`runtime sources not found at ${dir}`);
  }
  const extra = options.extraEntries ?? {};
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const debug = options.debug === true;
  const key = cacheDir === false ? '' : `${await cacheKey(dir, extra)}${debug ? '-debug' : ''}`;
  const cached = cacheDir === false ? undefined : join(cacheDir, `${key}.wasm`);
  if (cached !== undefined && existsSync(cached)) return new Uint8Array(await readFile(cached));
  const binary = await compile(dir, extra, debug);
  if (cached !== undefined && cacheDir !== false) {
    await mkdir(cacheDir, { recursive: true });
    // Write then rename, so concurrent test workers never read a partial module.
    const temporary = `${cached}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, binary);
    await rename(temporary, cached);
  }
  return binary;
}

/**
 * The runtime's wasm bytes for use at run time: built from source when the sources are
 * present (a checkout), else the prebuilt dist/opa-runtime.wasm of a published package.
 */
export async function runtimeWasm(): Promise<Uint8Array> {
  const root = packageRoot();
  if (existsSync(join(root, 'runtime', 'asconfig.json'))) return compileRuntime();
  return new Uint8Array(await readFile(join(root, 'dist', RUNTIME_WASM_FILE)));
}
