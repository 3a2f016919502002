/**
 * State threaded through the compile stages. Each stage reads what earlier stages left here
 * and adds its own results; diagnostics are collected, never thrown.
 */
import type { Location, Module, Rule, Term } from '../ast/index.js';
import type { DiagnosticCode, DiagnosticCollector } from '../diagnostics/index.js';
import type { CompiledRule, RuleGroup, RuleKind, RuleTreeNode } from './compiled-program.js';

export interface ModuleInfo {
  readonly module: Module;
  readonly file: string;
  /** Package path without `data`. */
  readonly packagePath: readonly string[];
  /** Names a rule body can use without qualification: rules of the package, import aliases. */
  readonly globals: Map<string, Term>;
}

export interface RuleInfo {
  readonly rule: Rule;
  readonly module: ModuleInfo;
  readonly kind: RuleKind;
  readonly path: readonly string[];
  /** The variable last element of a ref head (`p[x] := v`), the partial object's key. */
  readonly objectKey?: Term;
  /** Head ref elements after `objectKey` (`p[q].r.s := v` → `r`, `s`). */
  readonly refPath?: readonly Term[];
  /** A `contains` rule with a variable in its ref: the leaf is a set, the member its key. */
  readonly multiValue?: boolean;
  compiled?: CompiledRule;
}

export interface CompileContext {
  readonly modules: ModuleInfo[];
  readonly diagnostics: DiagnosticCollector;
  readonly builtinArity: ReadonlyMap<string, number>;
  readonly rules: RuleInfo[];
  readonly tree: RuleTreeNode;
  readonly groups: RuleGroup[];
}

export function report(
  ctx: Pick<CompileContext, 'diagnostics'>,
  code: DiagnosticCode,
  message: string,
  loc: Location,
): void {
  ctx.diagnostics.report(code, message, { file: loc.file, row: loc.row, col: loc.col, offset: loc.offset });
}
