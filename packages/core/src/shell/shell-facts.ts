/**
 * Turns one shell line into ShellFacts: every simple command bash would run, wherever the
 * grammar puts it (lists, pipelines, compound commands, functions, substitutions), plus the
 * commands hidden behind wrappers and inside `sh -c` strings, and an `opaque` entry for
 * everything that cannot be known without running the line.
 */

import type { CommandFacts, Redirect, ShellFacts, ShellOpaque, ShellOpaqueReason } from '../contract.js';
import { ShellParserUnavailableError } from '../errors.js';
import { isShellParserLoaded, type Node, parseBash, type Tree } from './bash-parser.js';
import { extractFlags, flagStyleFor } from './flags.js';
import { codeSource, isInterpreter, isShell } from './interpreters.js';
import { heredocDelimiter, normaliseWord, staticWord, type Word } from './word-normalise.js';
import { joinWords, unwrap } from './wrappers.js';

/** Syntax nesting followed before giving up (fail closed); keeps the walk off the JS stack limit. */
export const MAX_NESTING = 1000;
/** `sh -c` inside `sh -c` …: how many strings deep to parse. */
export const MAX_SCRIPT_DEPTH = 8;
/** Longer input is not parsed at all (fail closed); the brief's worst case is a 1 MB line. */
export const MAX_INPUT_LENGTH = 4 * 1024 * 1024;
const MAX_OPAQUE_TEXT = 1024;

/** Node types that can hold no command, so the walk does not marshal their children. */
const INERT_TYPES = new Set([
  'word',
  'number',
  'raw_string',
  'string_content',
  'ansi_c_string',
  'variable_name',
  'special_variable_name',
  'file_descriptor',
  'heredoc_start',
  'heredoc_end',
  'heredoc_content',
  'test_operator',
  'regex',
  'comment',
]);

/** Only text with one of these can hold a substitution; anything else need not be walked again. */
const MAY_RUN = /[$`]|[<>]\(/;

const REDIRECT_TYPES = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);
const HEREDOC_PARTS = new Set([
  'heredoc_start',
  'heredoc_body',
  'heredoc_end',
  'file_redirect',
  'herestring_redirect',
]);

interface Context {
  via: string[];
  inSubstitution: boolean;
  background: boolean;
  /** Set when stdin comes from an earlier pipeline stage. */
  pipe: { from: string } | null;
  /** Redirections of an enclosing compound command or wrapper, which this command inherits. */
  redirects: Redirect[];
  /** The shell function whose body this is, to see a function call itself. */
  functionName: string | null;
  depth: number;
  scriptDepth: number;
}

const ROOT: Context = {
  via: [],
  inSubstitution: false,
  background: false,
  pipe: null,
  redirects: [],
  functionName: null,
  depth: 0,
  scriptDepth: 0,
};

type StdinSource = { kind: 'none' | 'pipe' | 'file' } | { kind: 'heredoc'; redirect: Redirect };

class Extraction {
  readonly commands: CommandFacts[] = [];
  readonly redirects: Redirect[] = [];
  readonly opaque: ShellOpaque[] = [];
  readonly interpreterPipes: { from: string; to: string }[] = [];
  substitutions = false;
  error: string | undefined;
  private readonly seenOpaque = new Set<string>();
  /** Heredoc and here-string bodies, kept beside the public Redirect so it stays as the contract says. */
  private readonly bodies = new WeakMap<Redirect, Word>();

  addOpaque(reason: ShellOpaqueReason, text: string): void {
    const clipped = text.length > MAX_OPAQUE_TEXT ? text.slice(0, MAX_OPAQUE_TEXT) + '…' : text;
    const key = reason + '\0' + clipped;
    if (this.seenOpaque.has(key)) return;
    this.seenOpaque.add(key);
    this.opaque.push({ reason, text: clipped });
  }

  fail(message: string, text: string): void {
    this.error ??= message;
    this.addOpaque('parse_error', text);
  }

  // ---------------------------------------------------------------------------------------
  // Syntax walk
  // ---------------------------------------------------------------------------------------

  visit(node: Node, src: string, ctx: Context): void {
    if (ctx.depth > MAX_NESTING) {
      this.fail(
        `nesting deeper than ${MAX_NESTING} levels`,
        src.slice(node.startIndex, node.startIndex + 80),
      );
      return;
    }
    switch (node.type) {
      case 'comment':
        return;
      case 'word':
      case 'number':
      case 'raw_string':
        return;
      case 'command':
        this.visitCommand(node, src, ctx, []);
        return;
      case 'pipeline':
        this.visitStages(namedStatements(node), src, ctx, ctx);
        return;
      case 'redirected_statement':
        this.visitRedirected(node, src, ctx);
        return;
      case 'function_definition':
        this.visitFunction(node, src, ctx);
        return;
      case 'command_substitution':
      case 'process_substitution':
        this.substitutions = true;
        // Output goes to the substitution, not to the enclosing command's redirections or pipe.
        this.visitChildren(node, src, { ...ctx, inSubstitution: true, pipe: null, redirects: [] });
        return;
      case 'declaration_command':
      case 'unset_command':
        this.visitDeclaration(node, src, ctx);
        return;
      case 'test_command':
        this.visitTest(node, src, ctx);
        return;
      default:
        this.visitChildren(node, src, ctx);
    }
  }

  visitChildren(node: Node, src: string, ctx: Context): void {
    if (node.childCount === 0) return;
    // Every Node getter is a call into wasm: read each child's type once, share one context.
    const children = node.children;
    const inner: Context = { ...ctx, depth: ctx.depth + 1 };
    let background: Context | undefined;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child === null || child === undefined || !child.isNamed || INERT_TYPES.has(child.type)) continue;
      if (!ctx.background && children[i + 1]?.type === '&') {
        background ??= { ...inner, background: true };
        this.visit(child, src, background);
      } else {
        this.visit(child, src, inner);
      }
    }
  }

  /** Pipeline stages: each later stage reads what the previous one's main program wrote. */
  visitStages(stages: Node[], src: string, ctx: Context, firstCtx: Context): void {
    let from: string | null = null;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const base = i === 0 ? firstCtx : ctx;
      const stageCtx: Context = {
        ...base,
        pipe: i === 0 ? base.pipe : { from: from ?? '' },
        depth: ctx.depth + 1,
      };
      const start = this.commands.length;
      this.visit(stage, src, stageCtx);
      from = this.mainProgram(start, ctx.inSubstitution);
    }
  }

  /** The innermost command a stage ran (`sudo curl x` → curl), for `piped_from`. */
  private mainProgram(start: number, inSubstitution: boolean): string {
    for (let i = this.commands.length - 1; i >= start; i--) {
      const command = this.commands[i]!;
      if (command.in_substitution === inSubstitution) return command.program || command.path;
    }
    return '';
  }

  visitRedirected(node: Node, src: string, ctx: Context): void {
    const own: Redirect[] = [];
    const extraArgs: Word[] = [];
    const continuation: Node[] = [];
    const redirectNodes: Node[] = [];
    let body: Node | null = null;
    for (const child of node.children) {
      if (child === null || !child.isNamed) continue;
      if (REDIRECT_TYPES.has(child.type)) {
        redirectNodes.push(child);
        this.readRedirect(child, src, own, extraArgs, continuation);
      } else if (child.type !== 'comment' && body === null) {
        body = child;
      } else {
        continuation.push(child);
      }
    }
    this.redirects.push(...own);
    const bodyCtx: Context = { ...ctx, redirects: [...ctx.redirects, ...own] };
    if (body !== null) {
      // tree-sitter-bash hangs what follows a heredoc operator (`cat <<EOF | sh`) inside the
      // heredoc node; a pipeline there continues the pipeline this statement starts.
      const pipeline = continuation.find((n) => n.type === 'pipeline');
      if (pipeline !== undefined) {
        this.visitStages([body, ...namedStatements(pipeline)], src, ctx, bodyCtx);
      } else if (body.type === 'command') {
        this.visitCommand(body, src, bodyCtx, extraArgs);
      } else {
        this.visit(body, src, { ...bodyCtx, depth: ctx.depth + 1 });
      }
    }
    for (const next of continuation) {
      if (next.type !== 'pipeline') this.visit(next, src, { ...ctx, depth: ctx.depth + 1 });
    }
    // Substitutions in redirect targets and unquoted heredoc bodies run too.
    for (const redirect of redirectNodes) {
      if (MAY_RUN.test(src.slice(redirect.startIndex, redirect.endIndex)))
        this.visitRedirectParts(redirect, src, ctx);
    }
  }

  private visitRedirectParts(node: Node, src: string, ctx: Context): void {
    for (const child of node.children) {
      if (child === null || !child.isNamed || child.type === 'pipeline') continue;
      if (child.type === 'heredoc_redirect' || child.type === 'file_redirect') {
        this.visitRedirectParts(child, src, ctx);
      } else if (node.type !== 'heredoc_redirect' || child.type === 'heredoc_body') {
        this.visit(child, src, { ...ctx, depth: ctx.depth + 1 });
      }
    }
  }

  /**
   * One redirection node to contract Redirects. Words after a file redirect's target are the
   * command's arguments (`rm >f -rf /`), which the grammar files under the redirect.
   */
  readRedirect(node: Node, src: string, out: Redirect[], extraArgs: Word[], continuation: Node[]): void {
    let fd: number | undefined;
    let op = '';
    const targets: Word[] = [];
    // Redirects nested in a heredoc node follow it on the line; keep the heredoc first.
    const at = out.length;
    let redirect: Redirect | undefined;
    for (const child of node.children) {
      if (child === null) continue;
      if (child.type === 'file_descriptor') {
        // Error recovery can leave an empty descriptor; NaN is not a descriptor (nor JSON).
        const parsed = Number.parseInt(src.slice(child.startIndex, child.endIndex), 10);
        if (Number.isSafeInteger(parsed)) fd = parsed;
      } else if (isReadWriteHalf(child)) {
        op = '<>';
      } else if (!child.isNamed) {
        if (op === '') op = child.type;
      } else if (node.type === 'heredoc_redirect') {
        if (child.type === 'heredoc_start') {
          const delimiter = heredocDelimiter(src.slice(child.startIndex, child.endIndex));
          redirect = { op, target: delimiter.target };
          this.quotedHeredoc.set(redirect, delimiter.quoted);
        } else if (child.type === 'heredoc_body' && redirect !== undefined) {
          const text = src.slice(child.startIndex, child.endIndex);
          const quoted = this.quotedHeredoc.get(redirect) === true;
          const body = staticWord(text);
          body.dynamic = !quoted && child.namedChildCount > 0 && hasExpansion(child);
          this.bodies.set(redirect, body);
        } else if (child.type === 'file_redirect' || child.type === 'herestring_redirect') {
          this.readRedirect(child, src, out, extraArgs, continuation);
        } else if (!HEREDOC_PARTS.has(child.type)) {
          continuation.push(child);
        }
      } else if (child.type !== 'comment') {
        targets.push(normaliseWord(child, src));
      }
    }
    if (node.type === 'heredoc_redirect') {
      if (redirect !== undefined) {
        if (fd !== undefined) redirect.fd = fd;
        out.splice(at, 0, redirect);
      }
      return;
    }
    const target = targets[0] ?? staticWord('');
    redirect = fd === undefined ? { op, target: target.value } : { op, fd, target: target.value };
    if (node.type === 'herestring_redirect') this.bodies.set(redirect, target);
    out.push(redirect);
    extraArgs.push(...targets.slice(1));
  }

  private readonly quotedHeredoc = new WeakMap<Redirect, boolean>();

  visitCommand(node: Node, src: string, ctx: Context, extraArgs: Word[]): void {
    const words: Word[] = [];
    const assignments: Record<string, string> = {};
    const own: Redirect[] = [];
    const continuation: Node[] = [];
    for (const child of node.children) {
      if (child === null) continue;
      if (child.type === 'variable_assignment') {
        const [name, value] = readAssignment(child, src);
        assignments[name] = value;
      } else if (REDIRECT_TYPES.has(child.type)) {
        this.readRedirect(child, src, own, extraArgs, continuation);
      } else if (child.isNamed && child.type !== 'comment' && child.type !== 'ERROR') {
        words.push(normaliseWord(child, src));
      } else if (child.type === '$') {
        words.push(staticWord('$'));
      }
    }
    words.push(...extraArgs);
    this.redirects.push(...own);
    const text = src.slice(node.startIndex, node.endIndex);
    if (words.length > 0) this.emit(words, assignments, own, ctx, false, text);
    if (MAY_RUN.test(text)) this.visitChildren(node, src, { ...ctx, redirects: [] });
    for (const next of continuation) this.visit(next, src, { ...ctx, depth: ctx.depth + 1 });
  }

  visitFunction(node: Node, src: string, ctx: Context): void {
    const name = node.childForFieldName('name');
    const functionName = name === null ? null : normaliseWord(name, src).value;
    for (const child of node.children) {
      if (child === null || !child.isNamed || child === name || child.id === name?.id) continue;
      this.visit(child, src, { ...ctx, functionName, depth: ctx.depth + 1 });
    }
  }

  /** export/declare/local/readonly/typeset/unset: builtins the grammar gives their own node. */
  visitDeclaration(node: Node, src: string, ctx: Context): void {
    const first = node.child(0);
    const program = first === null ? '' : src.slice(first.startIndex, first.endIndex);
    const words: Word[] = [staticWord(program)];
    const assignments: Record<string, string> = {};
    for (const child of node.namedChildren) {
      if (child === null || child.type === 'comment') continue;
      if (child.type === 'variable_assignment') {
        const [name, value] = readAssignment(child, src);
        assignments[name] = value;
        words.push(staticWord(`${name}=${value}`));
      } else {
        words.push(normaliseWord(child, src));
      }
    }
    const text = src.slice(node.startIndex, node.endIndex);
    this.emit(words, assignments, [], ctx, false, text);
    if (MAY_RUN.test(text)) this.visitChildren(node, src, { ...ctx, redirects: [] });
  }

  visitTest(node: Node, src: string, ctx: Context): void {
    const first = node.child(0);
    const program = first === null ? '[' : src.slice(first.startIndex, first.endIndex);
    const words: Word[] = [staticWord(program)];
    for (const child of node.namedChildren) {
      if (child !== null && child.type !== 'comment') words.push(normaliseWord(child, src));
    }
    const text = src.slice(node.startIndex, node.endIndex);
    this.emit(words, {}, [], ctx, false, text);
    if (MAY_RUN.test(text)) this.visitChildren(node, src, { ...ctx, redirects: [] });
  }

  // ---------------------------------------------------------------------------------------
  // One simple command, and whatever it runs
  // ---------------------------------------------------------------------------------------

  emit(
    words: Word[],
    assignments: Record<string, string>,
    own: Redirect[],
    ctx: Context,
    fromWrapper: boolean,
    text: string,
  ): void {
    const name = words[0]!;
    const args = words.slice(1);
    // An unquoted glob in command position is expanded against the file system by bash.
    const dynamic = name.dynamic || name.glob;
    const program = dynamic ? '' : basename(name.value);
    const redirects = ctx.redirects.length === 0 ? own : [...ctx.redirects, ...own];
    const unwrapped = dynamic ? undefined : unwrap(program, args);
    const argValues = args.map((w) => w.value);
    const facts: CommandFacts = {
      program,
      path: name.value,
      args: argValues,
      flags: extractFlags(
        unwrapped === undefined ? argValues : unwrapped.ownArgs.map((w) => w.value),
        flagStyleFor(program),
      ),
      assignments:
        unwrapped?.assignments === undefined ? assignments : { ...assignments, ...unwrapped.assignments },
      redirects,
      via: ctx.via,
      piped: ctx.pipe !== null,
      in_substitution: ctx.inSubstitution,
      background: ctx.background,
      dynamic,
    };
    if (ctx.pipe !== null) facts.piped_from = ctx.pipe.from;
    if (ctx.functionName !== null && !dynamic && program === ctx.functionName) facts.recursive = true;
    this.commands.push(facts);

    if (dynamic) this.addOpaque(fromWrapper ? 'dynamic_argument' : 'dynamic_program', text);
    if ((program === 'source' || program === '.') && args.length > 0) this.addOpaque('source_file', text);
    if (!dynamic && isInterpreter(program)) this.interpreter(facts, args, ctx, text);

    if (unwrapped === undefined) return;
    for (const inner of unwrapped.inner) {
      const innerCtx: Context = { ...ctx, via: [...ctx.via, inner.label], redirects, depth: ctx.depth + 1 };
      if (ctx.depth > MAX_NESTING) {
        this.fail(`nesting deeper than ${MAX_NESTING} levels`, text);
        return;
      }
      if (inner.kind === 'command') {
        this.emit(inner.words, inner.assignments, [], innerCtx, true, joinWords(inner.words).text);
      } else {
        this.script(inner.code, innerCtx, inner.label === 'eval' ? 'eval_dynamic' : 'dynamic_argument');
      }
    }
  }

  /** Code a shell or interpreter runs that is not a command on this line. */
  private interpreter(facts: CommandFacts, args: Word[], ctx: Context, text: string): void {
    const program = facts.program;
    if (ctx.pipe !== null) this.interpreterPipes.push({ from: ctx.pipe.from, to: program });
    const source = codeSource(program, args);
    if (source.kind === 'code' && !isShell(program)) {
      if (source.code.length === 0) return;
      const code = source.code.map((w) => w.value).join('\n');
      facts.inline_code = code;
      this.addOpaque('inline_code', code);
      return;
    }
    if (source.kind !== 'stdin') return;
    const stdin = stdinSource(facts.redirects, ctx.pipe !== null);
    if (stdin.kind === 'heredoc') {
      const body = this.bodies.get(stdin.redirect) ?? staticWord('');
      if (isShell(program)) {
        this.addOpaque('heredoc_to_shell', text);
        // The body is shell text: parse it so the commands in it are listed too.
        const innerCtx: Context = {
          ...ctx,
          via: [...ctx.via, `${program} ${stdin.redirect.op}`],
          redirects: [],
          pipe: null,
          depth: ctx.depth + 1,
        };
        this.script(body, innerCtx, 'heredoc_to_shell');
      } else {
        facts.inline_code = body.value;
        this.addOpaque('inline_code', body.value);
      }
    } else if (stdin.kind === 'pipe' || stdin.kind === 'file') {
      this.addOpaque('script_from_stdin', text);
    }
  }

  /** Shell text a command runs (`sh -c`, `eval`, a heredoc fed to a shell): parsed in turn. */
  script(code: Word, ctx: Context, dynamicReason: ShellOpaqueReason): void {
    // Expansions are done before the text is parsed again, so their values are unknown; the
    // text as written is still parsed for what it shows.
    if (code.dynamic) this.addOpaque(dynamicReason, code.text);
    if (ctx.scriptDepth >= MAX_SCRIPT_DEPTH) {
      this.fail(`shell strings nested deeper than ${MAX_SCRIPT_DEPTH} levels`, code.value);
      return;
    }
    if (code.value.trim() === '') return;
    const tree = parseBash(code.value);
    if (tree === null) {
      this.fail('parse of a nested shell string timed out', code.value);
      return;
    }
    try {
      const problem = syntaxProblem(tree, code.value);
      if (problem !== undefined) this.addOpaque('parse_error', `${ctx.via.at(-1) ?? ''}: ${problem}`);
      this.visit(tree.rootNode, code.value, { ...ctx, scriptDepth: ctx.scriptDepth + 1 });
    } finally {
      tree.delete();
    }
  }
}

function namedStatements(node: Node): Node[] {
  const out: Node[] = [];
  for (const child of node.children) {
    if (child?.isNamed && child.type !== 'comment') out.push(child);
  }
  return out;
}

function readAssignment(node: Node, src: string): [string, string] {
  const name = node.childForFieldName('name');
  const value = node.childForFieldName('value');
  const nameText = name === null ? '' : src.slice(name.startIndex, name.endIndex);
  return [nameText, value === null ? '' : normaliseWord(value, src).value];
}

function hasExpansion(node: Node): boolean {
  for (const child of node.namedChildren) {
    if (child !== null && child.type !== 'heredoc_content') return true;
  }
  return false;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 || slash === path.length - 1 ? path : path.slice(slash + 1);
}

/** Where a command's stdin comes from; the last redirection of fd 0 wins over a pipe, as in bash. */
function stdinSource(redirects: readonly Redirect[], piped: boolean): StdinSource {
  let source: StdinSource = { kind: piped ? 'pipe' : 'none' };
  for (const redirect of redirects) {
    if (redirect.fd !== undefined && redirect.fd !== 0) continue;
    if (redirect.op === '<' || redirect.op === '<>') source = { kind: 'file' };
    else if (redirect.op === '<<' || redirect.op === '<<-' || redirect.op === '<<<')
      source = { kind: 'heredoc', redirect };
  }
  return source;
}

/**
 * tree-sitter-bash 0.25 has no `<>` operator: it parses `3<> file` as `<` plus an ERROR node
 * holding `>`. That ERROR is the second half of a valid operator, not a syntax error.
 */
function isReadWriteHalf(node: Node): boolean {
  return (
    node.type === 'ERROR' &&
    node.parent?.type === 'file_redirect' &&
    node.previousSibling?.type === '<' &&
    node.childCount === 1 &&
    node.child(0)?.type === '>'
  );
}

/** The first ERROR or MISSING node, described with its position, or undefined when the tree is clean. */
function syntaxProblem(tree: Tree, src: string): string | undefined {
  if (!tree.rootNode.hasError) return undefined;
  const stack: Node[] = [tree.rootNode];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const where = `line ${node.startPosition.row + 1}, column ${node.startPosition.column + 1}`;
    if (node.isMissing) return `syntax error at ${where}: missing ${JSON.stringify(node.type)}`;
    if (node.isError && !isReadWriteHalf(node)) {
      const near = src.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 40));
      return `syntax error at ${where} near ${JSON.stringify(near)}`;
    }
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== null && child !== undefined && (child.hasError || child.isMissing)) stack.push(child);
    }
  }
  return tree.rootNode.isError || tree.rootNode.isMissing ? 'syntax error' : undefined;
}

function unparsed(raw: string, error: string): ShellFacts {
  return {
    raw,
    parsed: false,
    error,
    commands: [],
    substitutions: false,
    redirects: [],
    interpreter_pipes: [],
    opaque: [{ reason: 'parse_error', text: error }],
  };
}

export function extractShellFactsSync(raw: string): ShellFacts {
  if (!isShellParserLoaded()) {
    throw new ShellParserUnavailableError('the bash grammar is not loaded: await loadShellParser() first');
  }
  if (raw.length > MAX_INPUT_LENGTH) return unparsed(raw, `input longer than ${MAX_INPUT_LENGTH} characters`);
  const tree = parseBash(raw);
  if (tree === null) return unparsed(raw, 'parse timed out');
  const state = new Extraction();
  try {
    const problem = syntaxProblem(tree, raw);
    if (problem !== undefined) state.fail(problem, problem);
    state.visit(tree.rootNode, raw, ROOT);
  } catch (error) {
    // A bug or an exhausted stack must not let the line through unjudged: fail closed.
    const message = error instanceof Error ? error.message : String(error);
    state.fail(`extraction failed: ${message}`, `extraction failed: ${message}`);
  } finally {
    tree.delete();
  }
  const facts: ShellFacts = {
    raw,
    parsed: state.error === undefined,
    commands: state.commands,
    substitutions: state.substitutions,
    redirects: state.redirects,
    interpreter_pipes: state.interpreterPipes,
    opaque: state.opaque,
  };
  if (state.error !== undefined) facts.error = state.error;
  return facts;
}
