import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import {
  compilePolicy,
  formatDiagnostics,
  loadFiles,
  PolicyCompileError,
  planSources,
  printIr,
} from '@portcullis/rego';
import { SIGNATURES_FILE, signBundleFiles } from '../policy/bundle-signature.js';
import { type CliIo, writeLine } from './cli-io.js';
import { resolvePolicyPaths } from './policy-paths.js';
import { writeTar } from './tar-writer.js';

export interface BuildFlags {
  output?: string;
  entrypoint?: string[];
  bundle?: boolean;
  ir?: boolean;
  includeTests?: boolean;
  signingKey?: string;
  signingAlg?: string;
  signingKeyid?: string;
  signingScope?: string;
}

const DEFAULT_ENTRYPOINT = 'portcullis/decision';

/**
 * Rego → WebAssembly (or an OPA-style bundle: policy.wasm, data.json and a manifest, the layout
 * `opa build -t wasm` writes), or the planner's IR as text with --ir.
 */
export async function runBuild(paths: string[], flags: BuildFlags, io: CliIo): Promise<number> {
  try {
    const files = await loadFiles(resolvePolicyPaths(paths));
    const sources = flags.includeTests
      ? files.sources
      : files.sources.filter((s) => !s.file.endsWith('_test.rego'));
    if (sources.length === 0) throw new Error('no .rego files found');
    const entrypoints =
      flags.entrypoint && flags.entrypoint.length > 0 ? flags.entrypoint : [DEFAULT_ENTRYPOINT];

    if (flags.ir) {
      const text = printIr(await planSources(sources, entrypoints));
      if (flags.output) await writeFile(flags.output, text);
      else io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      return 0;
    }

    const wasm = await compilePolicy(sources, { entrypoints });
    const bundle =
      flags.bundle || flags.output?.endsWith('.tar.gz') === true || flags.signingKey !== undefined;
    const output = flags.output ?? (bundle ? 'bundle.tar.gz' : 'policy.wasm');
    if (bundle) {
      const enc = new TextEncoder();
      const manifest = {
        revision: '',
        roots: [''],
        wasm: entrypoints.map((entrypoint) => ({ entrypoint, module: '/policy.wasm' })),
      };
      const entries = [
        { name: '/data.json', data: enc.encode(JSON.stringify(files.data)) },
        { name: '/policy.wasm', data: wasm },
        { name: '/.manifest', data: enc.encode(JSON.stringify(manifest)) },
      ];
      if (flags.signingKey !== undefined) {
        const key = (await readFile(flags.signingKey, 'utf8')).replace(/\r?\n$/, '');
        const signatures = await signBundleFiles(entries, {
          key,
          algorithm: flags.signingAlg ?? 'RS256',
          ...(flags.signingKeyid !== undefined ? { keyId: flags.signingKeyid } : {}),
          ...(flags.signingScope !== undefined ? { scope: flags.signingScope } : {}),
        });
        entries.push({ name: `/${SIGNATURES_FILE}`, data: enc.encode(signatures) });
      }
      const tar = writeTar(entries);
      await writeFile(output, gzipSync(tar));
    } else {
      await writeFile(output, wasm);
    }
    await writeLine(io.stderr, `portcullis build: wrote ${output} (${entrypoints.join(', ')})`);
    return 0;
  } catch (err) {
    if (err instanceof PolicyCompileError) {
      await writeLine(io.stderr, formatDiagnostics(err.diagnostics));
      return 1;
    }
    await writeLine(io.stderr, `portcullis build: ${(err as Error).message}`);
    return 1;
  }
}
