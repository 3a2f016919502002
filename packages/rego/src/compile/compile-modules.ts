/**
 * Compiles parsed-or-not Rego modules into a CompiledProgram by running COMPILE_STAGES.
 */
import type { Module } from '../ast/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { DiagnosticCollector } from '../diagnostics/index.js';
import { parseModule } from '../parser/index.js';
import { type BuiltinTable, builtinArities } from './builtin-arities.js';
import type { CompiledProgram } from './compiled-program.js';
import type { CompileContext, ModuleInfo } from './context.js';
import { COMPILE_STAGES } from './stages.js';
import { staticPrefix } from './terms.js';

export interface CompileOptions {
  /** Builtins calls may use; defaults to every OPA builtin (BUILTIN_SIGNATURES). */
  readonly builtins?: BuiltinTable;
  /** Cap on collected diagnostics (OPA's default is 10); 0 for no cap. */
  readonly maxErrors?: number;
}

export interface CompileResult {
  /** Present only when there were no diagnostics. */
  readonly program?: CompiledProgram;
  readonly diagnostics: Diagnostic[];
}

export function compileModules(
  sources: readonly { readonly file: string; readonly source: string }[],
  options: CompileOptions = {},
): CompileResult {
  const parsed: Module[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { file, source } of sources) {
    const r = parseModule(source, { file });
    if (r.module !== undefined) parsed.push(r.module);
    diagnostics.push(...r.diagnostics);
  }
  if (diagnostics.length > 0) return { diagnostics };
  return compileParsed(parsed, options);
}

/** Compiles modules that are already parsed. */
export function compileParsed(modules: readonly Module[], options: CompileOptions = {}): CompileResult {
  const collector = new DiagnosticCollector(
    options.maxErrors === undefined ? {} : { maxDiagnostics: options.maxErrors },
  );
  const infos: ModuleInfo[] = modules.map((module) => ({
    module,
    file: module.loc.file,
    packagePath: staticPrefix(module.package.path),
    globals: new Map(),
  }));
  const ctx: CompileContext = {
    modules: infos,
    diagnostics: collector,
    builtinArity: builtinArities(options.builtins),
    rules: [],
    tree: { key: '', children: new Map() },
    groups: [],
  };
  for (const stage of COMPILE_STAGES) {
    stage.run(ctx);
    if (stage.haltOnError && collector.hasErrors) break;
    if (collector.limitReached) break;
  }
  if (collector.hasErrors) return { diagnostics: collector.toArray() };
  const program: CompiledProgram = {
    tree: ctx.tree,
    groups: ctx.groups,
    files: [...new Set(infos.map((i) => i.file))],
    builtinArity: ctx.builtinArity,
  };
  return { program, diagnostics: [] };
}
