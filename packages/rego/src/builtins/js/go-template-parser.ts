/**
 * The parse tree of a Go text/template, and the parser that builds it from the lexer's
 * tokens, following the grammar of Go's text/template/parse: lists of text and actions,
 * `if`/`range`/`with` with `else` (and `else if`, `else with`), pipelines of commands with
 * variable declarations, and operands with field chains. Constructs outside the subset we
 * execute (`define`, `template`, `block`, complex and character constants) are refused here
 * with an error rather than parsed into something that would render differently.
 */

import { lex, type Token, type TokenKind } from './go-template-lexer.js';
import { GoFloat, GoInt } from './go-template-values.js';
import { goQuote } from './sprintf.js';

export class GoTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoTemplateError';
  }
}

/** The name OPA gives the template; it appears in every message. */
export const TEMPLATE_NAME = 'template';

/**
 * Deeper nesting than this is refused: Go allows more, but our parser and executor recurse
 * once per level and must not exhaust the JS stack.
 */
const MAX_DEPTH = 1000;

interface At {
  readonly pos: number;
}

export interface TextNode extends At {
  readonly type: 'text';
  readonly text: string;
}
export interface ActionNode extends At {
  readonly type: 'action';
  readonly pipe: PipeNode;
}
export interface ControlNode extends At {
  readonly type: 'if' | 'range' | 'with';
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface BranchNode extends At {
  readonly type: 'break' | 'continue';
}
export type Node = TextNode | ActionNode | ControlNode | BranchNode;

export interface ListNode extends At {
  readonly nodes: Node[];
}

export interface PipeNode extends At {
  readonly type: 'pipe';
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode extends At {
  readonly type: 'command';
  readonly args: ArgNode[];
}
export interface FieldNode extends At {
  readonly type: 'field';
  readonly ident: readonly string[];
}
/** `$x.a.b`: ident[0] is the variable, the rest are fields. */
export interface VariableNode extends At {
  readonly type: 'variable';
  readonly ident: readonly string[];
}
/** `(pipeline).a.b` or `fn.a`: fields taken from something that is not a field or variable. */
export interface ChainNode extends At {
  readonly type: 'chain';
  readonly node: ArgNode;
  readonly field: readonly string[];
}
export interface IdentifierNode extends At {
  readonly type: 'identifier';
  readonly name: string;
}
export interface DotNode extends At {
  readonly type: 'dot';
}
export interface NilNode extends At {
  readonly type: 'nil';
}
export interface BoolNode extends At {
  readonly type: 'bool';
  readonly value: boolean;
}
export interface NumberNode extends At {
  readonly type: 'number';
  readonly text: string;
  /** undefined: a whole number past int64, which Go rejects only when it is used. */
  readonly value: GoInt | GoFloat | undefined;
}
export interface StringNode extends At {
  readonly type: 'string';
  readonly quoted: string;
  readonly text: string;
}
export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

/** Functions text/template defines; others fail to parse, as in Go. */
export const GO_TEMPLATE_FUNCS: ReadonlySet<string> = new Set([
  'and',
  'call',
  'eq',
  'ge',
  'gt',
  'html',
  'index',
  'js',
  'le',
  'len',
  'lt',
  'ne',
  'not',
  'or',
  'print',
  'printf',
  'println',
  'slice',
  'urlquery',
]);

/** 1-based line of an offset, as Go counts them for messages. */
export function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = src.indexOf('\n'); i >= 0 && i < pos; i = src.indexOf('\n', i + 1)) line++;
  return line;
}

/** Go's item.String(), used in "unexpected … in …" messages. */
function tokenText(t: Token): string {
  if (t.kind === 'eof') return 'EOF';
  if (t.kind === 'error') return t.val;
  if (t.kind === 'keyword' || t.kind === 'nil' || t.kind === 'dot') return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return goQuote(runes.slice(0, 10).join('')) + '...';
  return goQuote(t.val);
}

const ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/**
 * strconv.Unquote of an interpreted string literal. Byte escapes above 0x7f would build
 * UTF-8 byte by byte, possibly invalid, which a JS string cannot hold: refused.
 */
function unquoteInterpreted(quoted: string): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      if (c === '"') throw new GoTemplateError('invalid syntax');
      out += c;
      continue;
    }
    const e = body[++i];
    if (e !== undefined && e in ESCAPES) {
      out += ESCAPES[e];
      continue;
    }
    let digits: string;
    let radix: number;
    if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      digits = body.slice(i + 1, i + 1 + n);
      radix = 16;
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new GoTemplateError('invalid syntax');
      i += n;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      digits = body.slice(i, i + 3);
      radix = 8;
      if (!/^[0-7]{3}$/.test(digits)) throw new GoTemplateError('invalid syntax');
      i += 2;
    } else {
      throw new GoTemplateError('invalid syntax');
    }
    const v = Number.parseInt(digits, radix);
    const isByte = e === 'x' || radix === 8;
    if (isByte) {
      if (v > 0xff) throw new GoTemplateError('invalid syntax');
      if (v > 0x7f)
        throw new GoTemplateError(`byte escape \\${e}${digits.slice(-2)} above \\x7f is not supported`);
    } else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
      throw new GoTemplateError('invalid syntax');
    }
    out += String.fromCodePoint(v);
  }
  return out;
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A number literal, typed as Go's idealConstant types it for an interface{} argument: an int
 * unless the text has a point or exponent (then float64). Hex floats, imaginary numbers and
 * digit separators are outside the subset.
 */
function parseNumber(text: string): NumberNode['value'] {
  if (text.includes('_')) throw new GoTemplateError(`digit separators in ${text} are not supported`);
  if (text.endsWith('i')) throw new GoTemplateError(`imaginary number ${text} is not supported`);
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m) {
    const [, sign, digits] = m as unknown as [string, string, string];
    // Go's base-0 parsing: a bare leading 0 means octal.
    const body = /^0[0-7]+$/.test(digits) ? '0o' + digits.slice(1) : digits;
    const magnitude = BigInt(body);
    const value = sign === '-' ? -magnitude : magnitude;
    if (value > INT64_MAX || value < -INT64_MAX - 1n) {
      if (value > 0n && value <= UINT64_MAX) return undefined;
      throw new GoTemplateError(`integer overflow: ${text}`);
    }
    return new GoInt(value);
  }
  if (/^[+-]?0[xX]/.test(text))
    throw new GoTemplateError(`hexadecimal floating-point ${text} is not supported`);
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
    if (!/[.eE]/.test(text)) throw new GoTemplateError(`integer overflow: ${text}`);
    const f = Number(text);
    if (!Number.isFinite(f)) throw new GoTemplateError(`illegal number syntax: ${goQuote(text)}`);
    return new GoFloat(f);
  }
  throw new GoTemplateError(`illegal number syntax: ${goQuote(text)}`);
}

class Parser {
  private i = 0;
  private readonly vars: string[] = ['$'];
  private rangeDepth = 0;
  private depth = 0;
  private readonly toks: Token[];

  constructor(private readonly src: string) {
    this.toks = lex(src);
  }

  private fail(message: string, at?: Token): never {
    const tok = at ?? this.toks[Math.max(0, Math.min(this.i, this.toks.length) - 1)]!;
    throw new GoTemplateError(`template: ${TEMPLATE_NAME}:${lineOf(this.src, tok.pos)}: ${message}`);
  }

  private unexpected(tok: Token, context: string): never {
    if (tok.kind === 'error') this.fail(tok.val, tok);
    this.fail(`unexpected ${tokenText(tok)} in ${context}`, tok);
  }

  /** The lexer ends with eof or an error token, which stays put however often it is read. */
  private next(): Token {
    const t = this.toks[Math.min(this.i, this.toks.length - 1)]!;
    this.i++;
    return t;
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)]!;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.kind === 'space') t = this.next();
    return t;
  }

  /** Skips spaces, then looks at the next token without taking it. */
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private expect(kind: TokenKind, context: string): Token {
    const t = this.nextNonSpace();
    if (t.kind !== kind) this.unexpected(t, context);
    return t;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels is not supported`);
  }

  parse(): ListNode {
    const root: ListNode = { pos: this.peek().pos, nodes: [] };
    while (this.peek().kind !== 'eof') {
      const n = this.textOrAction();
      if (isMarker(n)) return this.fail(`unexpected {{${n.type}}}`);
      root.nodes.push(n);
    }
    return root;
  }

  /** Text and actions up to an `{{end}}` or `{{else}}`, which is returned beside the list. */
  private itemList(): { list: ListNode; stop: Marker } {
    const list: ListNode = { pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().kind !== 'eof') {
      const n = this.textOrAction();
      if (isMarker(n)) return { list, stop: n };
      list.nodes.push(n);
    }
    this.fail('unexpected EOF');
  }

  private textOrAction(): Node | Marker {
    const tok = this.nextNonSpace();
    if (tok.kind === 'text') return { type: 'text', pos: tok.pos, text: tok.val };
    if (tok.kind === 'leftDelim') return this.action();
    this.unexpected(tok, 'input');
  }

  private action(): Node | Marker {
    const tok = this.nextNonSpace();
    if (tok.kind === 'keyword') {
      switch (tok.val) {
        case 'break':
        case 'continue': {
          const close = this.nextNonSpace();
          if (close.kind !== 'rightDelim') this.unexpected(close, `{{${tok.val}}}`);
          if (this.rangeDepth === 0) this.fail(`{{${tok.val}}} outside {{range}}`, tok);
          return { type: tok.val, pos: tok.pos };
        }
        case 'else':
          return this.elseControl();
        case 'end':
          return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
        case 'if':
        case 'range':
        case 'with':
          return this.control(tok.val);
        default:
          this.fail(`{{${tok.val}}} is not supported`, tok);
      }
    }
    this.backup();
    const pos = this.peek().pos;
    return { type: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  /** `{{else if …}}` and `{{else with …}}` leave the keyword for the enclosing control to see. */
  private elseControl(): Marker {
    const peek = this.peekNonSpace();
    if (peek.kind === 'keyword' && (peek.val === 'if' || peek.val === 'with'))
      return { type: 'else', pos: peek.pos };
    return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private control(context: 'if' | 'range' | 'with'): ControlNode {
    this.enter();
    const varsLen = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, stop } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (stop.type === 'else') {
      const peek = this.peekNonSpace();
      if (context !== 'range' && peek.kind === 'keyword' && peek.val === context) {
        // `{{if a}}x{{else if b}}y{{end}}` is `{{if a}}x{{else}}{{if b}}y{{end}}{{end}}`: the
        // inner control takes the one {{end}}.
        this.next();
        elseList = { pos: stop.pos, nodes: [this.control(context)] };
      } else {
        const rest = this.itemList();
        if (rest.stop.type !== 'end') this.fail('expected end; found {{else}}');
        elseList = rest.list;
      }
    }
    this.vars.length = varsLen;
    this.depth--;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.kind !== 'variable') break;
      const mark = this.i;
      this.next();
      const after = this.peekNonSpace();
      if (after.kind === 'assign' || after.kind === 'declare') {
        pipe.isAssign = after.kind === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (after.kind === 'char' && after.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const k = this.peekNonSpace().kind;
          if (k === 'variable' || k === 'rightDelim' || k === 'rightParen') continue;
          this.fail('range can only initialize variables');
        }
        this.fail(`too many declarations in ${context}`);
      }
      this.i = mark;
      break;
    }
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.kind === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (tok.kind) {
        case 'bool':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(tok, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.fail(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const tok = this.next();
      if (tok.kind === 'space') continue;
      if (tok.kind === 'rightDelim' || tok.kind === 'rightParen') this.backup();
      else if (tok.kind !== 'pipe') this.unexpected(tok, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().kind !== 'field') return node;
    // Go positions the combined node at its first trailing field.
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.fail(`unexpected . after term ${goQuote(nodeText(node))}`);
      default:
        return { type: 'chain', pos, node, field: fields };
    }
  }

  private term(): ArgNode | undefined {
    const tok = this.nextNonSpace();
    switch (tok.kind) {
      case 'identifier':
        if (!GO_TEMPLATE_FUNCS.has(tok.val)) this.fail(`function ${goQuote(tok.val)} not defined`, tok);
        return { type: 'identifier', pos: tok.pos, name: tok.val };
      case 'dot':
        return { type: 'dot', pos: tok.pos };
      case 'nil':
        return { type: 'nil', pos: tok.pos };
      case 'variable':
        if (!this.vars.includes(tok.val)) this.fail(`undefined variable ${goQuote(tok.val)}`, tok);
        return { type: 'variable', pos: tok.pos, ident: [tok.val] };
      case 'field':
        return { type: 'field', pos: tok.pos, ident: [tok.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: tok.pos, value: tok.val === 'true' };
      case 'number':
        return { type: 'number', pos: tok.pos, text: tok.val, value: this.number(tok) };
      case 'leftParen': {
        this.enter();
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        this.depth--;
        return pipe;
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: tok.pos, quoted: tok.val, text: this.unquote(tok) };
      default:
        this.backup();
        return undefined;
    }
  }

  private number(tok: Token): NumberNode['value'] {
    try {
      return parseNumber(tok.val);
    } catch (err) {
      this.fail((err as Error).message, tok);
    }
  }

  private unquote(tok: Token): string {
    // A raw string loses its carriage returns, as strconv.Unquote drops them.
    if (tok.kind === 'rawString') return tok.val.slice(1, -1).replaceAll('\r', '');
    try {
      return unquoteInterpreted(tok.val);
    } catch (err) {
      this.fail((err as Error).message, tok);
    }
  }
}

/** `{{end}}` and `{{else}}` close lists; they never reach the tree. */
interface Marker extends At {
  readonly type: 'end' | 'else';
}

const isMarker = (n: Node | Marker): n is Marker => n.type === 'end' || n.type === 'else';

export function parseTemplate(src: string): ListNode {
  return new Parser(src).parse();
}

/** Go's Node.String(), for the `at <…>` part of execution errors. */
export function nodeText(n: ArgNode | CommandNode): string {
  switch (n.type) {
    case 'field':
      return n.ident.map((f) => '.' + f).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const head = n.node.type === 'pipe' ? `(${nodeText(n.node)})` : nodeText(n.node);
      return head + n.field.map((f) => '.' + f).join('');
    }
    case 'identifier':
      return n.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeText(a)})` : nodeText(a))).join(' ');
    case 'pipe': {
      const decl = n.decl.length
        ? n.decl.map((d) => d.ident[0]).join(', ') + (n.isAssign ? ' = ' : ' := ')
        : '';
      return decl + n.cmds.map(nodeText).join(' | ');
    }
  }
}
