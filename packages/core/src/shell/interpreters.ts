/**
 * Shells and language interpreters: where each one takes the code it runs from. Code given
 * inline (`python -c`), read from stdin (`curl … | sh`) or from a heredoc is invisible to a
 * policy unless the extractor says so; a shell's `-c` string can be parsed in turn.
 */

import { type OptionSpec, scanOptions } from './option-scan.js';
import type { Word } from './word-normalise.js';

export const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'rbash',
  'zsh',
  'dash',
  'ash',
  'ksh',
  'mksh',
  'pdksh',
  'oksh',
  'yash',
  'posh',
  'fish',
  'csh',
  'tcsh',
]);

interface InterpreterSpec extends OptionSpec {
  /** Short options whose value is code (`-c`, `-e`). */
  codeLetters: string;
  /** Long options whose value is code (`--eval`). */
  codeLong?: readonly string[];
  /** Short options whose value names a module to run (`python -m`). */
  moduleLetters?: string;
}

const PYTHON: InterpreterSpec = { codeLetters: 'c', moduleLetters: 'm', shortWithValue: 'cmWXQ' };
const NODE: InterpreterSpec = {
  codeLetters: 'ep',
  codeLong: ['eval', 'print'],
  shortWithValue: 'eprC',
  longWithValue: ['eval', 'print', 'require', 'import', 'loader', 'conditions', 'input-type'],
};

const INTERPRETERS: ReadonlyMap<string, InterpreterSpec> = new Map([
  ['perl', { codeLetters: 'eE', shortWithValue: 'eEIMm' }],
  ['ruby', { codeLetters: 'e', shortWithValue: 'eIrCEF' }],
  ['node', NODE],
  ['nodejs', NODE],
  ['bun', NODE],
  ['php', { codeLetters: 'rBRE', shortWithValue: 'rBREfdczt' }],
  ['lua', { codeLetters: 'e', shortWithValue: 'el' }],
  ['luajit', { codeLetters: 'e', shortWithValue: 'el' }],
  ['Rscript', { codeLetters: 'e', shortWithValue: 'e' }],
  ['osascript', { codeLetters: 'e', shortWithValue: 'els' }],
  ['tclsh', { codeLetters: '' }],
  ['deno', { codeLetters: '' }],
  ['pwsh', { codeLetters: '' }],
  ['powershell', { codeLetters: '' }],
]);

const PYTHON_NAME = /^(python|pypy)(\d+(\.\d+)*)?$/;

export function isShell(program: string): boolean {
  return SHELLS.has(program);
}

function interpreterSpec(program: string): InterpreterSpec | undefined {
  return PYTHON_NAME.test(program) ? PYTHON : INTERPRETERS.get(program);
}

/** A shell or a language interpreter: something that runs code it is handed as data. */
export function isInterpreter(program: string): boolean {
  return isShell(program) || interpreterSpec(program) !== undefined;
}

/**
 * Where a shell or interpreter takes its program from:
 * - `code`: given on the command line (`sh -c STRING`, `python -c CODE`);
 * - `stdin`: read from standard input (no script operand, `-s`, or `-`);
 * - `file`: a script file or module named on the command line;
 * - `none`: not an interpreter.
 */
export type CodeSource =
  | { kind: 'code'; code: Word[]; optionEnd: number }
  | { kind: 'stdin'; optionEnd: number }
  | { kind: 'file'; optionEnd: number }
  | { kind: 'none' };

export function codeSource(program: string, args: readonly Word[]): CodeSource {
  if (isShell(program)) return shellCodeSource(program, args);
  if (program === 'pwsh' || program === 'powershell') return powershellCodeSource(args);
  if (program === 'deno') {
    if (args[0]?.value === 'eval' && args[1] !== undefined)
      return { kind: 'code', code: [args[1]], optionEnd: 1 };
    return { kind: 'file', optionEnd: 0 };
  }
  const spec = interpreterSpec(program);
  if (spec === undefined) return { kind: 'none' };
  // node's `-pe CODE` means "evaluate and print"; as a cluster the scanner would read `e` as -p's value.
  const words = args.map((w) => (w.value === '-pe' || w.value === '-ep' ? { ...w, value: '-e' } : w));
  const scanned = scanOptions(words, spec);
  const code: Word[] = [];
  let module = false;
  for (const option of scanned.options) {
    const letter = option.name.length === 2 ? option.name[1]! : '';
    const long = option.name.startsWith('--') ? option.name.slice(2) : '';
    const isCode =
      (letter !== '' && spec.codeLetters.includes(letter)) || (spec.codeLong ?? []).includes(long);
    if (isCode && option.valueWord !== undefined) code.push(option.valueWord);
    if (letter !== '' && (spec.moduleLetters ?? '').includes(letter)) module = true;
  }
  if (code.length > 0) return { kind: 'code', code, optionEnd: scanned.operand };
  const operand = args[scanned.operand];
  if (module || (operand !== undefined && operand.value !== '-'))
    return { kind: 'file', optionEnd: scanned.operand };
  return { kind: 'stdin', optionEnd: scanned.operand };
}

function shellCodeSource(program: string, args: readonly Word[]): CodeSource {
  if (program === 'fish') {
    const scanned = scanOptions(args, {
      shortWithValue: 'cCd',
      longWithValue: ['command', 'init-command', 'debug'],
    });
    const code = scanned.options
      .filter((o) => o.name === '-c' || o.name === '--command')
      .flatMap((o) => (o.valueWord === undefined ? [] : [o.valueWord]));
    if (code.length > 0) return { kind: 'code', code, optionEnd: scanned.operand };
    return args[scanned.operand] === undefined
      ? { kind: 'stdin', optionEnd: scanned.operand }
      : { kind: 'file', optionEnd: scanned.operand };
  }
  // bash, zsh, dash, ksh …: -c makes the first operand the command string; -o/-O take a value.
  const scanned = scanOptions(args, {
    shortWithValue: 'oO',
    longWithValue: ['rcfile', 'init-file'],
    plusOptions: true,
  });
  const names = new Set(scanned.options.map((o) => o.name));
  const operand = args[scanned.operand];
  if (names.has('-c')) {
    return operand === undefined
      ? { kind: 'code', code: [], optionEnd: scanned.operand }
      : { kind: 'code', code: [operand], optionEnd: scanned.operand };
  }
  if (names.has('-s') || operand === undefined || operand.value === '-') {
    return { kind: 'stdin', optionEnd: scanned.operand };
  }
  return { kind: 'file', optionEnd: scanned.operand };
}

/** PowerShell options are single-dash words, case-insensitive, and may be abbreviated. */
function powershellCodeSource(args: readonly Word[]): CodeSource {
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.value.toLowerCase();
    if (/^[-/](c|co|com|comm|comma|comman|command|e|ec|enc|encodedcommand)$/.test(name)) {
      const rest = args.slice(i + 1);
      return { kind: 'code', code: rest, optionEnd: i + 1 };
    }
    if (/^[-/](f|file)$/.test(name)) return { kind: 'file', optionEnd: i + 1 };
    if (!name.startsWith('-') && !name.startsWith('/')) return { kind: 'file', optionEnd: i };
  }
  return { kind: 'stdin', optionEnd: args.length };
}
