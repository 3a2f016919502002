/**
 * Static type inference for builtin argument checks, reduced to what is known without
 * evaluating anything: scalar literals, composite literals of known members, builtin results
 * (from the signature's result type) and vars bound to those in one body. `input`, `data`
 * and every other ref are `any`; user function results, iteration vars and function
 * parameters are unknown. Both match every declared type, so a valid policy is never
 * rejected: an error needs an argument whose type is known and cannot match at all.
 *
 * One pass over each rule, linear in its size. Errors read as OPA's type checker prints
 * them: `count: invalid argument(s)` with `have:` / `want:` lines. OPA lifts a nested call
 * into a call with an output var, so `x := count(1)` has `have: (number, ???)` and `want`
 * ends with the result type.
 */
import type { CallTerm, Expr, Location, Term } from '../ast/index.js';
import type { BuiltinSignature, BuiltinType } from '../builtins/builtin-types.js';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import type { CompiledRule } from './compiled-program.js';
import { operatorName } from './terms.js';

/** An inferred type; `undefined` is unknown (OPA's `???`). */
export type Inferred =
  | { readonly k: 'any' }
  | { readonly k: 'null' | 'boolean' | 'number' | 'string' }
  | { readonly k: 'array'; readonly items?: readonly Ty[]; readonly of?: Ty }
  | { readonly k: 'set'; readonly of: Ty }
  | {
      readonly k: 'object';
      readonly props?: readonly (readonly [string, Ty])[];
      readonly key?: Ty;
      readonly value?: Ty;
    }
  | { readonly k: 'union'; readonly types: readonly Inferred[] };
export type Ty = Inferred | undefined;

export interface TypeError {
  readonly message: string;
  readonly loc: Location;
}

const ANY: Inferred = { k: 'any' };

/** Whether a value of type `have` can be of declared type `want`; unknown and `any` always can. */
export function mayMatch(have: Ty, want: BuiltinType | undefined): boolean {
  if (have === undefined || want === undefined || have.k === 'any' || want.kind === 'any') return true;
  if (want.kind === 'any_of') return want.types.some((w) => mayMatch(have, w));
  if (have.k === 'union') return have.types.some((h) => mayMatch(h, want));
  switch (have.k) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return have.k === want.kind;
    case 'array':
      if (want.kind !== 'array') return false;
      return (have.items ?? []).every((t) => mayMatch(t, want.of)) && mayMatch(have.of, want.of);
    case 'set':
      return want.kind === 'set' && mayMatch(have.of, want.of);
    case 'object':
      if (want.kind !== 'object') return false;
      return (
        (have.props ?? []).every(([, v]) => mayMatch(STRING, want.key) && mayMatch(v, want.value)) &&
        mayMatch(have.key, want.key) &&
        mayMatch(have.value, want.value)
      );
  }
}

const STRING: Inferred = { k: 'string' };

/** A declared type as an inferred one (a builtin's result). */
export function fromDeclared(t: BuiltinType): Inferred {
  switch (t.kind) {
    case 'any':
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return { k: t.kind };
    case 'array':
      return { k: 'array', of: t.of === undefined ? ANY : fromDeclared(t.of) };
    case 'set':
      return { k: 'set', of: t.of === undefined ? ANY : fromDeclared(t.of) };
    case 'object':
      return {
        k: 'object',
        key: t.key === undefined ? ANY : fromDeclared(t.key),
        value: t.value === undefined ? ANY : fromDeclared(t.value),
      };
    case 'any_of':
      return { k: 'union', types: t.types.map(fromDeclared) };
  }
}

function joinSorted(parts: string[]): string {
  return parts.sort().join(', ');
}

/** A declared type as OPA prints it (`any<array[any], string>`, `object[string: any]`). */
export function formatDeclared(t: BuiltinType | undefined): string {
  if (t === undefined) return 'any';
  switch (t.kind) {
    case 'any':
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return t.kind;
    case 'array':
      return `array[${formatDeclared(t.of)}]`;
    case 'set':
      return `set[${formatDeclared(t.of)}]`;
    case 'object':
      return `object[${formatDeclared(t.key)}: ${formatDeclared(t.value)}]`;
    case 'any_of':
      return `any<${joinSorted(t.types.map(formatDeclared))}>`;
  }
}

/** An inferred type as OPA prints it; unknown is `???`. */
export function formatInferred(t: Ty): string {
  if (t === undefined) return '???';
  switch (t.k) {
    case 'any':
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return t.k;
    case 'array': {
      let s = 'array';
      if (t.items !== undefined && t.items.length > 0) s += `<${t.items.map(formatInferred).join(', ')}>`;
      if (t.of !== undefined) s += `[${formatInferred(t.of)}]`;
      return s;
    }
    case 'set':
      return `set[${formatInferred(t.of)}]`;
    case 'object': {
      let s = 'object';
      if (t.props !== undefined && t.props.length > 0)
        s += `<${t.props.map(([k, v]) => `${k}: ${formatInferred(v)}`).join(', ')}>`;
      if (t.key !== undefined || t.value !== undefined)
        s += `[${formatInferred(t.key)}: ${formatInferred(t.value)}]`;
      return s;
    }
    case 'union':
      return `any<${joinSorted(t.types.map(formatInferred))}>`;
  }
}

/** The union of member types, unknown when any member is unknown. */
function unionOf(types: readonly Ty[]): Ty {
  const out: Inferred[] = [];
  const seen = new Set<string>();
  for (const t of types) {
    if (t === undefined) return undefined;
    if (t.k === 'any') return ANY;
    for (const m of t.k === 'union' ? t.types : [t]) {
      const key = formatInferred(m);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m);
    }
  }
  if (out.length === 0) return ANY;
  return out.length === 1 ? out[0] : { k: 'union', types: out };
}

/**
 * The builtin a call names when type checks apply to it: a known signature with the arity
 * the compiler accepted (a custom builtin table may declare a name differently).
 */
function signatureOf(call: CallTerm, arity: ReadonlyMap<string, number>): BuiltinSignature | undefined {
  const name = operatorName(call.operator);
  if (name === undefined) return undefined;
  const sig = BUILTIN_SIGNATURES.get(name);
  if (sig === undefined || sig.variadic !== undefined || arity.get(name) !== sig.args.length)
    return undefined;
  if (sig.args.length !== call.args.length) return undefined;
  return sig;
}

/** Infers and checks one rule; errors go to `onError`. */
export class RuleTypeChecker {
  readonly #arity: ReadonlyMap<string, number>;
  readonly #onError: (e: TypeError) => void;
  #env = new Map<string, Inferred>();

  constructor(arity: ReadonlyMap<string, number>, onError: (e: TypeError) => void) {
    this.#arity = arity;
    this.#onError = onError;
  }

  checkRule(rule: CompiledRule): void {
    this.#env = new Map();
    this.#body(rule.body);
    for (const a of rule.args ?? []) this.typeOf(a);
    if (rule.key !== undefined) this.typeOf(rule.key);
    for (const t of rule.refPath ?? []) this.typeOf(t);
    this.typeOf(rule.value);
    for (let e = rule.else; e !== undefined; e = e.else) {
      this.#env = new Map();
      this.#body(e.body);
      this.typeOf(e.value);
    }
  }

  #body(exprs: readonly Expr[]): void {
    for (const e of exprs) this.#expr(e);
  }

  #expr(e: Expr): void {
    for (const w of e.with) this.typeOf(w.value);
    switch (e.type) {
      case 'term-expr':
        if (e.term.type === 'call') this.#call(e.term, false);
        else this.typeOf(e.term);
        return;
      case 'unify-expr':
      case 'assign-expr': {
        const { lhs, rhs } = e;
        // `f(a, out)` is rewritten to `out = f(a)` with the call's location: OPA checks `out`
        // as the call's output argument.
        const outputForm =
          rhs.type === 'call' && e.loc.offset === rhs.loc.offset && lhs.loc.offset > rhs.loc.offset;
        let lt: Ty;
        let rt: Ty;
        if (outputForm) {
          lt = this.typeOf(lhs);
          rt = this.#call(rhs, true, lt, true);
        } else {
          lt = lhs.type === 'call' ? this.#call(lhs, true) : this.typeOf(lhs);
          rt = rhs.type === 'call' ? this.#call(rhs, true) : this.typeOf(rhs);
        }
        if (!e.negated && e.with.length === 0) {
          this.#bind(lhs, rt);
          this.#bind(rhs, lt);
        }
        return;
      }
      case 'some-in':
        this.typeOf(e.domain);
        return;
      case 'every':
        this.typeOf(e.domain);
        this.#body(e.body.exprs);
        return;
      default:
        return;
    }
  }

  /** Records what a var pattern is bound to; the first known type wins. */
  #bind(pattern: Term, t: Ty): void {
    if (t === undefined) return;
    if (pattern.type === 'var') {
      if (!this.#env.has(pattern.name)) this.#env.set(pattern.name, t);
      return;
    }
    if (pattern.type === 'array' && t.k === 'array' && t.items !== undefined && t.of === undefined) {
      if (t.items.length !== pattern.items.length) return;
      for (let i = 0; i < pattern.items.length; i++) {
        const p = pattern.items[i];
        if (p !== undefined) this.#bind(p, t.items[i]);
      }
    }
  }

  /** The type of a term, checking every call in it. */
  typeOf(t: Term): Ty {
    switch (t.type) {
      case 'null':
      case 'boolean':
      case 'number':
      case 'string':
        return { k: t.type };
      case 'var':
        return this.#env.get(t.name);
      case 'ref':
        if (t.head.type === 'call') this.#call(t.head, true);
        else this.typeOf(t.head);
        for (const p of t.path) this.typeOf(p);
        return t.head.type === 'var' && (t.head.name === 'input' || t.head.name === 'data') ? ANY : undefined;
      case 'array':
        return { k: 'array', items: t.items.map((i) => this.typeOf(i)) };
      case 'set':
        return { k: 'set', of: unionOf(t.items.map((i) => this.typeOf(i))) };
      case 'object': {
        const props: [string, Ty][] = [];
        const keys: Ty[] = [];
        const values: Ty[] = [];
        let allStrings = true;
        for (const e of t.entries) {
          const k = this.typeOf(e.key);
          const v = this.typeOf(e.value);
          keys.push(k);
          values.push(v);
          if (e.key.type === 'string') props.push([e.key.value, v]);
          else allStrings = false;
        }
        if (allStrings)
          return { k: 'object', props: props.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
        return { k: 'object', key: unionOf(keys), value: unionOf(values) };
      }
      // A comprehension's kind is known, its members are not: OPA accepts
      // `strings.replace_n({2: "x" | true}, "foo")` and fails it at run time.
      case 'array-comprehension':
      case 'set-comprehension':
      case 'object-comprehension':
        this.#body(t.body.exprs);
        if (t.type === 'object-comprehension') {
          this.typeOf(t.key);
          this.typeOf(t.value);
          return { k: 'object', key: ANY, value: ANY };
        }
        this.typeOf(t.term);
        return { k: t.type === 'array-comprehension' ? 'array' : 'set', of: ANY };
      case 'call':
        return this.#call(t, true);
    }
  }

  /**
   * Checks a call's arguments (and its output, when one was written) against the builtin's
   * signature and returns the result type. `hasOutput`: OPA sees an output argument, a lifted
   * temporary (`???`) unless `explicitOutput`.
   */
  #call(call: CallTerm, hasOutput: boolean, output?: Ty, explicitOutput = false): Ty {
    const args = call.args.map((a) => this.typeOf(a));
    const sig = signatureOf(call, this.#arity);
    if (sig === undefined) return undefined;
    let ok = args.every((a, i) => mayMatch(a, sig.args[i]));
    if (ok && explicitOutput && sig.result !== undefined) ok = mayMatch(output, sig.result);
    if (!ok) {
      const have =
        hasOutput && sig.result !== undefined ? [...args, explicitOutput ? output : undefined] : args;
      const want = sig.result === undefined ? sig.args : [...sig.args, sig.result];
      this.#onError({
        message: `${sig.name}: invalid argument(s)\n\thave: (${have.map(formatInferred).join(', ')})\n\twant: (${want
          .map(formatDeclared)
          .join(', ')})`,
        loc: call.loc,
      });
      return undefined;
    }
    return sig.result === undefined ? undefined : fromDeclared(sig.result);
  }
}
