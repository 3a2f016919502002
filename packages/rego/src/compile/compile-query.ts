/**
 * Compiles an ad-hoc query (`data.a.p = x; count(x) > 1`) against a compiled program: the same
 * rewriting and safety as rule bodies, with no package, so names resolve only to locals,
 * `data` and `input`.
 */
import type { Body } from '../ast/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { DiagnosticCollector } from '../diagnostics/index.js';
import { parseQuery } from '../parser/index.js';
import { BodyRewriter } from './body-rewriter.js';
import { orderBody } from './check-safety.js';
import { checkCall } from './check-types.js';
import type { CompiledProgram, CompiledQuery } from './compiled-program.js';
import { isGeneratedVar } from './compiled-program.js';
import { forEachVarInExpr } from './terms.js';
import { walkExprs } from './walk.js';

export interface CompileQueryResult {
  readonly query?: CompiledQuery;
  readonly diagnostics: Diagnostic[];
}

export function compileQuery(program: CompiledProgram, source: string | Body): CompileQueryResult {
  let body: Body;
  if (typeof source === 'string') {
    const parsed = parseQuery(source);
    if (parsed.body === undefined) return { diagnostics: parsed.diagnostics };
    body = parsed.body;
  } else body = source;
  const diagnostics = new DiagnosticCollector();
  const env = { diagnostics, tree: program.tree, builtinArity: program.builtinArity };
  const rw = new BodyRewriter({ globals: new Map(), ...env });
  const { exprs } = rw.rewriteBody(body.exprs, new Map());
  const ordered = orderBody({ diagnostics, displayNames: rw.displayNames }, exprs, new Set(), new Set());
  walkExprs(ordered.exprs, (t) => checkCall(env, t));
  if (diagnostics.hasErrors) return { diagnostics: diagnostics.toArray() };
  const resultVars: string[] = [];
  for (const e of exprs)
    forEachVarInExpr(
      e,
      (v) => {
        if (!isGeneratedVar(v.name) && !resultVars.includes(v.name)) resultVars.push(v.name);
      },
      false,
    );
  return { query: { body: ordered.exprs, displayNames: rw.displayNames, resultVars }, diagnostics: [] };
}
