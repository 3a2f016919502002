/**
 * Prints the AST back as canonical Rego v1: tabs for indentation, one blank line between rules,
 * bodies always in braces after `if`, parentheses only where precedence needs them. Parsing the
 * output yields the same AST (locations aside), which the parser's property tests check.
 * Comments are not reproduced.
 */
import type {
  Body,
  CallTerm,
  ElseBranch,
  Expr,
  Import,
  Module,
  Package,
  RefTerm,
  Rule,
  RuleHead,
  Term,
  WithModifier,
} from './nodes.js';
import { PRECEDENCE, PRIMARY_PRECEDENCE } from './operators.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where a term is printed: the loosest precedence it may have without parentheses, and whether
 * it sits in a comma-separated list (where `k, v in xs` needs parentheses).
 */
interface Context {
  readonly min: number;
  readonly list: boolean;
}

const TOP: Context = { min: 0, list: false };
const LIST: Context = { min: 1, list: true };
const PRIMARY: Context = { min: PRIMARY_PRECEDENCE, list: true };
/** Operands of `in`, and the parts of `some … in` and `every … in`. */
const RELATION: Context = { min: PRECEDENCE['=='], list: true };

export function formatModule(module: Module): string {
  const parts = [formatPackage(module.package)];
  if (module.imports.length > 0) parts.push(module.imports.map(formatImport).join('\n'));
  for (const rule of module.rules) parts.push(formatRule(rule));
  return `${parts.join('\n\n')}\n`;
}

export function formatPackage(pkg: Package): string {
  // The stored path starts with `data`; the clause names what follows it.
  const [first, ...rest] = pkg.path.path;
  if (first === undefined) return 'package data';
  const name = first.type === 'string' ? first.value : formatTerm(first);
  const ref: RefTerm = { ...pkg.path, head: { type: 'var', name, loc: first.loc }, path: rest };
  return `package ${formatRef(ref)}`;
}

export function formatImport(imp: Import): string {
  const alias = imp.alias === undefined ? '' : ` as ${imp.alias}`;
  return `import ${formatRef(imp.path)}${alias}`;
}

export function formatRule(rule: Rule, indent = ''): string {
  const head = formatHead(rule.head);
  if (rule.default) return `${indent}default ${head}`;
  let out = indent + head;
  if (rule.body !== undefined) out += ` if ${formatBlock(rule.body, indent)}`;
  for (let branch: ElseBranch | undefined = rule.else; branch !== undefined; branch = branch.else) {
    out += ' else';
    if (branch.value !== undefined && branch.operator !== undefined) {
      out += ` ${branch.operator} ${formatTerm(branch.value)}`;
    }
    if (branch.body !== undefined) out += ` if ${formatBlock(branch.body, indent)}`;
  }
  return out;
}

export function formatHead(head: RuleHead): string {
  let out = formatRef(head.ref);
  switch (head.kind) {
    case 'multi-value':
      return `${out} contains ${formatTerm(head.key)}`;
    case 'function':
      out += `(${head.args.map((a) => formatTerm(a, LIST)).join(', ')})`;
      break;
    case 'single-value':
      break;
  }
  if (head.value !== undefined && head.operator !== undefined)
    out += ` ${head.operator} ${formatTerm(head.value)}`;
  return out;
}

/** A body on its own, as a query: one expression per line. */
export function formatBody(body: Body): string {
  return body.exprs.map((e) => formatExpr(e, '')).join('\n');
}

/** `{`, one expression per line one tab deeper, `}`. */
function formatBlock(body: Body, indent: string): string {
  const inner = `${indent}\t`;
  const lines = body.exprs.map((e) => inner + formatExpr(e, inner));
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** Comprehension bodies stay on one line; `;` separates their expressions. */
function formatInlineBody(body: Body): string {
  return body.exprs.map((e) => formatExpr(e, null)).join('; ');
}

/**
 * One expression. `indent` is null inside comprehensions (print everything on one line).
 * A term that starts an expression gets parentheses when its text would read differently there:
 * `x | …` right after `if {` reads as a set comprehension, and `-1 …` on a new line continues the
 * previous expression as a subtraction.
 */
export function formatExpr(expr: Expr, indent: string | null = ''): string {
  let out = expr.negated ? 'not ' : '';
  switch (expr.type) {
    case 'term-expr':
      out += formatGuarded(expr.term, TOP, true);
      break;
    case 'assign-expr':
    case 'unify-expr': {
      const lhs = formatGuarded(expr.lhs, TOP, true);
      out += `${lhs} ${expr.type === 'assign-expr' ? ':=' : '='} ${formatTerm(expr.rhs)}`;
      break;
    }
    case 'some-decl':
      out += `some ${expr.vars.map((v) => v.name).join(', ')}`;
      break;
    case 'some-in': {
      const key = expr.key === undefined ? '' : `${formatTerm(expr.key, RELATION)}, `;
      out += `some ${key}${formatTerm(expr.value, RELATION)} in ${formatTerm(expr.domain, RELATION)}`;
      break;
    }
    case 'every': {
      const key = expr.key === undefined ? '' : `${expr.key.name}, `;
      const body = indent === null ? `{ ${formatInlineBody(expr.body)} }` : formatBlock(expr.body, indent);
      out += `every ${key}${expr.value.name} in ${formatTerm(expr.domain, RELATION)} ${body}`;
      break;
    }
  }
  for (const modifier of expr.with) out += ` ${formatWith(modifier)}`;
  return out;
}

function formatWith(modifier: WithModifier): string {
  return `with ${formatTerm(modifier.target)} as ${formatTerm(modifier.value)}`;
}

/**
 * Whether the printed term would begin with `<primary> |` (after `[` or `{` the parser tries a
 * comprehension first) or, for expression starts, with a negative number.
 */
function ambiguousStart(term: Term, expressionStart: boolean): boolean {
  let t: Term | undefined = term;
  let or = false;
  while (t !== undefined && t.type === 'call' && t.infix !== undefined) {
    if (t.infix === '|') or = true;
    t = t.args[0];
  }
  if (or) return true;
  return expressionStart && t?.type === 'number' && t.raw.startsWith('-');
}

function formatGuarded(term: Term, context: Context, expressionStart: boolean): string {
  const text = formatTerm(term, context);
  return ambiguousStart(term, expressionStart) ? `(${text})` : text;
}

/** Collection items, the first one guarded against reading as a comprehension head. */
function formatItems(items: readonly Term[]): string {
  return items.map((t, i) => (i === 0 ? formatGuarded(t, LIST, false) : formatTerm(t, LIST))).join(', ');
}

function precedenceOf(term: Term): number {
  if (term.type !== 'call' || term.infix === undefined) return PRIMARY_PRECEDENCE;
  // `k, v in xs` binds loosest of all: only a top-level position holds it without parentheses.
  if (term.args.length === 3) return 0;
  return PRECEDENCE[term.infix];
}

export function formatTerm(term: Term, context: Context = TOP): string {
  const text = formatBare(term);
  const precedence = precedenceOf(term);
  const needsParens = precedence < context.min || (precedence === 0 && context.list);
  return needsParens ? `(${text})` : text;
}

function formatBare(term: Term): string {
  switch (term.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return term.value ? 'true' : 'false';
    case 'number':
      return term.raw;
    case 'string':
      return JSON.stringify(term.value);
    case 'var':
      return term.name;
    case 'ref':
      return formatRef(term);
    case 'array':
      return `[${formatItems(term.items)}]`;
    case 'set':
      return term.items.length === 0 ? 'set()' : `{${formatItems(term.items)}}`;
    case 'object':
      return `{${term.entries
        .map((e, i) =>
          i === 0
            ? `${formatGuarded(e.key, LIST, false)}: ${formatGuarded(e.value, LIST, false)}`
            : `${formatTerm(e.key, LIST)}: ${formatTerm(e.value, LIST)}`,
        )
        .join(', ')}}`;
    case 'array-comprehension':
      return `[${formatTerm(term.term, PRIMARY)} | ${formatInlineBody(term.body)}]`;
    case 'set-comprehension':
      return `{${formatTerm(term.term, PRIMARY)} | ${formatInlineBody(term.body)}}`;
    case 'object-comprehension':
      return `{${formatTerm(term.key, PRIMARY)}: ${formatTerm(term.value, PRIMARY)} | ${formatInlineBody(term.body)}}`;
    case 'call':
      return formatCall(term);
  }
}

function formatCall(call: CallTerm): string {
  const { infix, args } = call;
  if (infix !== undefined) {
    const [a, b, c] = args;
    if (infix === 'in' && c !== undefined && a !== undefined && b !== undefined) {
      return `${formatTerm(a, RELATION)}, ${formatTerm(b, RELATION)} in ${formatTerm(c, RELATION)}`;
    }
    if (a !== undefined && b !== undefined && args.length === 2) {
      const level = PRECEDENCE[infix];
      // Left-associative: the left operand may share the operator's level, the right may not.
      return `${formatTerm(a, { min: level, list: true })} ${infix} ${formatTerm(b, { min: level + 1, list: true })}`;
    }
  }
  return `${formatRef(call.operator)}(${args.map((a) => formatTerm(a, LIST)).join(', ')})`;
}

export function formatRef(ref: RefTerm): string {
  let out = ref.head.type === 'var' ? ref.head.name : formatTerm(ref.head, PRIMARY);
  for (const element of ref.path) {
    out +=
      element.type === 'string' && IDENTIFIER.test(element.value)
        ? `.${element.value}`
        : `[${formatTerm(element)}]`;
  }
  return out;
}
