/**
 * Executes a parsed Go text/template over Go values, with the option OPA sets,
 * missingkey=error. Mirrors the shape of Go's text/template exec: a stack of variables that
 * control structures pop back to when they end, pipelines that feed each command's result to
 * the next as its last argument, and `{{break}}`/`{{continue}}` unwinding to the nearest range.
 */
import { FuncError, GO_FUNCS } from './go-template-funcs.js';
import {
  type ActionNode,
  type ArgNode,
  type ChainNode,
  type CommandNode,
  type ControlNode,
  type FieldNode,
  GoTemplateError,
  type IdentifierNode,
  type ListNode,
  lineOf,
  type Node,
  type NumberNode,
  nodeText,
  type PipeNode,
  TEMPLATE_NAME,
  type VariableNode,
} from './go-template-parser.js';
import { formatV, GoInt, type GoValue, goType, isGoMap, isTrue, JsonNumber } from './go-template-values.js';
import { goQuote } from './sprintf.js';
import { compareStrings } from './value.js';

/** The absent last argument of the first command in a pipeline (Go's missingVal). */
const MISSING = Symbol('missing');
type Final = GoValue | typeof MISSING;

/** How a list ended early: a `{{break}}` or `{{continue}}` on its way to the enclosing range. */
type Signal = 'break' | 'continue' | undefined;

/** Methods json.Number has, which Go would call for `.n.String`; we have no methods. */
const JSON_NUMBER_METHODS = new Set(['Float64', 'Int64', 'String']);

class State {
  private out = '';
  private readonly vars: { name: string; value: GoValue }[];

  constructor(
    private readonly src: string,
    data: GoValue,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  run(root: ListNode): string {
    // The template starts with dot and $ both bound to the vars.
    this.walkList(this.vars[0]!.value, root);
    return this.out;
  }

  /** Go's message: location as line and byte column, then the node that failed. */
  private fail(node: ArgNode | CommandNode, message: string): never {
    const before = this.src.slice(0, node.pos);
    const lineStart = before.lastIndexOf('\n') + 1;
    const col = Buffer.byteLength(before.slice(lineStart), 'utf8');
    const location = `${TEMPLATE_NAME}:${lineOf(this.src, node.pos)}:${col}`;
    throw new GoTemplateError(
      `template: ${location}: executing ${goQuote(TEMPLATE_NAME)} at <${nodeText(node)}>: ${message}`,
    );
  }

  private walkList(dot: GoValue, list: ListNode): Signal {
    for (const node of list.nodes) {
      const signal = this.walk(dot, node);
      if (signal) return signal;
    }
    return undefined;
  }

  private walk(dot: GoValue, node: Node): Signal {
    switch (node.type) {
      case 'text':
        this.out += node.text;
        return undefined;
      case 'action':
        this.action(dot, node);
        return undefined;
      case 'if':
      case 'with':
        return this.ifOrWith(dot, node);
      case 'range':
        return this.range(dot, node);
      case 'break':
      case 'continue':
        return node.type;
    }
  }

  private action(dot: GoValue, node: ActionNode): void {
    const value = this.pipeline(dot, node.pipe);
    // An action that declares or assigns prints nothing.
    if (node.pipe.decl.length === 0) this.out += value === null ? '<no value>' : formatV(value);
  }

  private ifOrWith(dot: GoValue, node: ControlNode): Signal {
    const mark = this.vars.length;
    try {
      const value = this.pipeline(dot, node.pipe);
      if (isTrue(value)) return this.walkList(node.type === 'with' ? value : dot, node.list);
      return node.elseList ? this.walkList(dot, node.elseList) : undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private range(dot: GoValue, node: ControlNode): Signal {
    const outer = this.vars.length;
    try {
      const value = this.pipeline(dot, node.pipe);
      const mark = this.vars.length;
      const { decl, isAssign } = node.pipe;
      const iteration = (key: GoValue, elem: GoValue): Signal => {
        // With one variable it gets the element; with two, the key and then the element.
        if (decl.length > 0) {
          if (!isAssign) this.vars[this.vars.length - 1]!.value = elem;
          else this.setVar(decl[0]!, decl.length > 1 ? key : elem);
        }
        if (decl.length > 1) {
          if (!isAssign) this.vars[this.vars.length - 2]!.value = key;
          else this.setVar(decl[1]!, elem);
        }
        try {
          return this.walkList(elem, node.list);
        } finally {
          this.vars.length = mark;
        }
      };
      const loop = (entries: Iterable<[GoValue, GoValue]>): void => {
        for (const [k, v] of entries) if (iteration(k, v) === 'break') return;
      };
      if (Array.isArray(value)) {
        if (value.length > 0) {
          loop(value.map((v, i): [GoValue, GoValue] => [new GoInt(BigInt(i)), v]));
          return undefined;
        }
      } else if (isGoMap(value)) {
        if (value.size > 0) {
          const keys = [...value.keys()].sort(compareStrings);
          loop(keys.map((k): [GoValue, GoValue] => [k, value.get(k)!]));
          return undefined;
        }
      } else if (value instanceof GoInt) {
        // Go 1.24 ranges over integers; older releases refuse. Which one OPA was built with
        // decides, so we render neither.
        this.fail(node.pipe, 'range over an integer is not supported');
      } else if (value !== null) {
        this.fail(node.pipe, `range can't iterate over ${formatV(value)}`);
      }
      return node.elseList ? this.walkList(dot, node.elseList) : undefined;
    } finally {
      this.vars.length = outer;
    }
  }

  private pipeline(dot: GoValue, pipe: PipeNode): GoValue {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    // The parser guarantees at least one command.
    const result = value as GoValue;
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v, result);
      else this.vars.push({ name: v.ident[0]!, value: result });
    }
    return result;
  }

  private setVar(v: VariableNode, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === v.ident[0]) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(v, `undefined variable: ${v.ident[0]}`);
  }

  private varValue(v: VariableNode): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === v.ident[0]) return this.vars[i]!.value;
    }
    return this.fail(v, `undefined variable: ${v.ident[0]}`);
  }

  private command(dot: GoValue, cmd: CommandNode, final: Final): GoValue {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.fieldChain(dot, first, first.ident, cmd.args, final);
      case 'chain':
        return this.chain(dot, first, cmd.args, final);
      case 'identifier':
        return this.call(dot, first, cmd, cmd.args.slice(1), final);
      case 'variable':
        return this.variable(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.pipeline(dot, first);
    }
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.fail(first, 'nil is not a command');
      case 'number':
        return this.constant(first);
      case 'string':
        return first.text;
    }
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.fail(args[0]!, `can't give argument to non-function ${nodeText(args[0]!)}`);
    }
  }

  private constant(n: NumberNode): GoValue {
    return n.value ?? this.fail(n, `${n.text} overflows int`);
  }

  /** An operand passed to a function, whose parameters are all interface{} in our subset. */
  private arg(dot: GoValue, n: ArgNode): GoValue {
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.fieldChain(dot, n, n.ident, [n], MISSING);
      case 'variable':
        return this.variable(dot, n, [n], MISSING);
      case 'chain':
        return this.chain(dot, n, [n], MISSING);
      case 'pipe':
        return this.pipeline(dot, n);
      case 'identifier':
        return this.call(dot, n, n, [], MISSING);
      case 'bool':
        return n.value;
      case 'number':
        return this.constant(n);
      case 'string':
        return n.text;
    }
  }

  private variable(dot: GoValue, v: VariableNode, args: readonly ArgNode[], final: Final): GoValue {
    const value = this.varValue(v);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.fieldChain(dot, v, v.ident.slice(1), args, final, value);
  }

  private chain(dot: GoValue, c: ChainNode, args: readonly ArgNode[], final: Final): GoValue {
    const receiver = this.arg(dot, c.node);
    return this.fieldChain(dot, c, c.field, args, final, receiver);
  }

  /** `.a.b.c` from a receiver (dot unless given): only the last field may take arguments. */
  private fieldChain(
    dot: GoValue,
    node: FieldNode | VariableNode | ChainNode,
    ident: readonly string[],
    args: readonly ArgNode[],
    final: Final,
    receiver: GoValue = dot,
  ): GoValue {
    let value = receiver;
    ident.forEach((name, i) => {
      const last = i === ident.length - 1;
      value = this.field(node, name, value, last && (args.length > 1 || final !== MISSING));
    });
    return value;
  }

  private field(
    node: FieldNode | VariableNode | ChainNode,
    name: string,
    receiver: GoValue,
    hasArgs: boolean,
  ): GoValue {
    if (isGoMap(receiver)) {
      if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
      // missingkey=error: a key that is absent fails; one that holds null is nil.
      if (!receiver.has(name)) this.fail(node, `map has no entry for key ${goQuote(name)}`);
      return receiver.get(name)!;
    }
    if (receiver === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof JsonNumber && JSON_NUMBER_METHODS.has(name)) {
      this.fail(node, `calling method ${name} of json.Number is not supported`);
    }
    return this.fail(node, `can't evaluate field ${name} in type ${goType(receiver)}`);
  }

  private call(
    dot: GoValue,
    ident: IdentifierNode,
    node: ArgNode | CommandNode,
    args: readonly ArgNode[],
    final: Final,
  ): GoValue {
    const name = ident.name;
    const given = args.length + (final === MISSING ? 0 : 1);
    if (name === 'and' || name === 'or') {
      if (given < 1) this.fail(ident, `wrong number of args for ${name}: want at least 1 got 0`);
      // Lazily: the first falsy (and) or truthy (or) operand is the result, else the last.
      let value: GoValue = null;
      for (const a of args) {
        value = this.arg(dot, a);
        if (isTrue(value) === (name === 'or')) return value;
      }
      return final === MISSING ? value : final;
    }
    const fn = GO_FUNCS.get(name);
    if (fn === undefined) return this.fail(ident, `function ${name} is not supported`);
    if (fn.variadic && given < fn.fixed) {
      this.fail(ident, `wrong number of args for ${name}: want at least ${fn.fixed} got ${args.length}`);
    }
    if (!fn.variadic && given !== fn.fixed) {
      this.fail(ident, `wrong number of args for ${name}: want ${fn.fixed} got ${given}`);
    }
    const argv = args.map((a) => this.arg(dot, a));
    if (final !== MISSING) argv.push(final);
    try {
      return fn.call(argv);
    } catch (err) {
      if (err instanceof FuncError) this.fail(node, `error calling ${name}: ${err.message}`);
      throw err;
    }
  }
}

export function executeTemplate(src: string, root: ListNode, data: GoValue): string {
  return new State(src, data).run(root);
}
