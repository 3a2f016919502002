/**
 * Stage: packages and imports. Records each module's package path and the names its rules can
 * use unqualified (the package's rules, import aliases), as OPA's ResolveRefs stage does.
 * `import rego.v1` and `import future.keywords…` only switch on syntax the parser already
 * accepts, so they bind nothing.
 */
import type { Term } from '../ast/index.js';
import { DiagnosticCodes } from '../diagnostics/index.js';
import { type CompileContext, report } from './context.js';
import { dataRef, staticPrefix } from './terms.js';

export function resolveModules(ctx: CompileContext): void {
  for (const info of ctx.modules) {
    const { module } = info;
    for (const rule of module.rules) {
      const name = rule.head.ref.head.type === 'var' ? rule.head.ref.head.name : undefined;
      if (name !== undefined && !info.globals.has(name))
        info.globals.set(name, dataRef([...info.packagePath, name], rule.loc));
    }
    const seen = new Set<string>();
    for (const imp of module.imports) {
      const head = imp.path.head.type === 'var' ? imp.path.head.name : '';
      if (head === 'rego' || head === 'future') continue;
      if (head !== 'data' && head !== 'input') {
        report(
          ctx,
          DiagnosticCodes.compile,
          `invalid import ${head}: must begin with input or data`,
          imp.loc,
        );
        continue;
      }
      const prefix = staticPrefix(imp.path);
      const alias = imp.alias ?? prefix[prefix.length - 1] ?? head;
      if (seen.has(alias)) {
        report(ctx, DiagnosticCodes.compile, `import must not shadow import ${alias}`, imp.loc);
        continue;
      }
      seen.add(alias);
      const target: Term = { ...imp.path, loc: imp.loc };
      if (
        info.globals.has(alias) &&
        module.rules.some((r) => r.head.ref.head.type === 'var' && r.head.ref.head.name === alias)
      ) {
        report(ctx, DiagnosticCodes.compile, `import ${alias} conflicts with rule`, imp.loc);
        continue;
      }
      info.globals.set(alias, target);
    }
  }
}
