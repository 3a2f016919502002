/**
 * Quote removal for one shell word as tree-sitter-bash parsed it. The static parts of a word
 * are unquoted the way bash would; the parts only known at run time (expansions and
 * substitutions) are kept as written and mark the word dynamic.
 */

import type { Node } from './bash-parser.js';

export interface Word {
  /** Static parts unquoted, dynamic parts as written (`rm -rf "$HOME"/x` → `$HOME/x`). */
  value: string;
  /** Some part is only known at run time. */
  dynamic: boolean;
  /** An unquoted glob character: in command position bash would expand it to a file name. */
  glob: boolean;
  /** The word as written. */
  text: string;
}

const DYNAMIC_TYPES = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
]);

/** Characters a backslash escapes inside double quotes; before any other it stays literal. */
const DQ_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

const UNQUOTED_GLOB = /[*?]|\[[^\]]*\]/;

export function staticWord(value: string): Word {
  return { value, dynamic: false, glob: false, text: value };
}

export function normaliseWord(node: Node, source: string): Word {
  const out: Word = {
    value: '',
    dynamic: false,
    glob: false,
    text: source.slice(node.startIndex, node.endIndex),
  };
  appendNode(node, source, out);
  return out;
}

function appendNode(node: Node, source: string, out: Word): void {
  const text = source.slice(node.startIndex, node.endIndex);
  switch (node.type) {
    case 'word': {
      if (UNQUOTED_GLOB.test(text)) out.glob = true;
      out.value += unescapeUnquoted(text);
      return;
    }
    case 'number':
      out.value += text;
      return;
    case 'raw_string':
      out.value += text.slice(1, -1);
      return;
    case 'ansi_c_string':
      out.value += decodeAnsiC(text.slice(2, -1));
      return;
    case 'string':
      appendDoubleQuoted(node, source, out);
      return;
    case 'concatenation':
    case 'command_name':
      appendChildren(node, source, out, appendNode);
      return;
    default:
      if (DYNAMIC_TYPES.has(node.type) || text.includes('$') || text.includes('`')) out.dynamic = true;
      out.value += text;
  }
}

/** Walks the children, filling the gaps between them with the source text they do not cover. */
function appendChildren(
  node: Node,
  source: string,
  out: Word,
  append: (child: Node, source: string, out: Word) => void,
): void {
  let at = node.startIndex;
  for (const child of node.children) {
    if (child === null) continue;
    if (child.startIndex > at) out.value += source.slice(at, child.startIndex);
    append(child, source, out);
    at = child.endIndex;
  }
  if (node.endIndex > at) out.value += source.slice(at, node.endIndex);
}

function appendDoubleQuoted(node: Node, source: string, out: Word): void {
  const inner = { start: node.startIndex + 1, end: node.endIndex - 1 };
  let at = inner.start;
  for (const child of node.children) {
    if (child === null || child.type === '"') continue;
    if (child.startIndex > at) out.value += unescapeDoubleQuoted(source.slice(at, child.startIndex));
    if (child.type === 'string_content') {
      out.value += unescapeDoubleQuoted(source.slice(child.startIndex, child.endIndex));
    } else {
      out.dynamic = true;
      out.value += source.slice(child.startIndex, child.endIndex);
    }
    at = child.endIndex;
  }
  if (inner.end > at) out.value += unescapeDoubleQuoted(source.slice(at, inner.end));
}

export function unescapeUnquoted(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      if (next !== '\n') out += next;
    } else {
      out += ch;
    }
  }
  return out;
}

export function unescapeDoubleQuoted(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '\\' && next !== undefined && DQ_ESCAPABLE.has(next)) {
      if (next !== '\n') out += next;
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

const ANSI_SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes the body of a `$'…'` string as bash does (bash manual, "ANSI-C Quoting"). */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const esc = body[++i]!;
    const simple = ANSI_SIMPLE[esc];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const radix = esc === 'x' ? 16 : esc === 'u' || esc === 'U' ? 16 : /[0-7]/.test(esc) ? 8 : 0;
    if (radix === 0) {
      if (esc === 'c' && i + 1 < body.length) {
        out += String.fromCharCode(body.charCodeAt(++i) & 0x1f);
      } else {
        out += '\\' + esc;
      }
      continue;
    }
    const max = esc === 'x' ? 2 : esc === 'u' ? 4 : esc === 'U' ? 8 : 3;
    const digits = radix === 8 ? esc : '';
    const pattern = radix === 16 ? /[0-9a-fA-F]/ : /[0-7]/;
    let taken = digits;
    while (taken.length < max && i + 1 < body.length && pattern.test(body[i + 1]!)) taken += body[++i];
    if (taken === '') {
      out += '\\' + esc;
      continue;
    }
    const code = Number.parseInt(taken, radix);
    out += code <= 0x10ffff ? String.fromCodePoint(code) : '';
  }
  return out;
}

/** The heredoc delimiter with its quoting removed, and whether quoting made the body literal. */
export function heredocDelimiter(text: string): { target: string; quoted: boolean } {
  const quoted = /['"\\]/.test(text);
  const target = quoted ? text.replace(/['"\\]/g, '') : text;
  return { target, quoted };
}
