/**
 * Programs that run another command: privilege changers (sudo, doas, su), environment and
 * scheduling wrappers (env, nice, timeout …), xargs and find -exec, shells given a `-c`
 * string, and eval. For each, where its own options end and what it runs, so the command
 * behind it is judged as well as the wrapper.
 */

import { codeSource, isShell } from './interpreters.js';
import { hasOption, type OptionSpec, type ScannedOptions, scanOptions } from './option-scan.js';
import { staticWord, type Word } from './word-normalise.js';

/** What a wrapper runs: a command given as words, or shell text parsed in its own right. */
export type Inner =
  | { kind: 'command'; label: string; words: Word[]; assignments: Record<string, string> }
  | { kind: 'script'; label: string; code: Word };

export interface Unwrapped {
  /** The wrapper's own option words, which its flags are read from. */
  ownArgs: Word[];
  inner: Inner[];
  /** NAME=VALUE words the wrapper was given for the command it runs (env, sudo). */
  assignments?: Record<string, string>;
}

type Unwrapper = (program: string, args: Word[]) => Unwrapped;

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function command(label: string, words: Word[], assignments: Record<string, string> = {}): Inner[] {
  return words.length === 0 ? [] : [{ kind: 'command', label, words, assignments }];
}

/** Leading NAME=VALUE words, as sudo and env accept them before the command. */
function takeAssignments(words: Word[]): { assignments: Record<string, string>; rest: Word[] } {
  const assignments: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    // The wrapper sees argv, so a quoted "NAME=value" is an assignment to it just the same.
    if (word.dynamic || !ASSIGNMENT.test(word.value)) break;
    const eq = word.value.indexOf('=');
    assignments[word.value.slice(0, eq)] = word.value.slice(eq + 1);
  }
  return { assignments, rest: words.slice(i) };
}

/** A wrapper whose command starts at its first operand (after `skip` more operands). */
function simple(spec: OptionSpec, options: { skip?: number; noCommandWith?: string[] } = {}): Unwrapper {
  return (program, args) => {
    const scanned = scanOptions(args, spec);
    const ownArgs = args.slice(0, scanned.operand);
    if (options.noCommandWith !== undefined && hasOption(scanned, ...options.noCommandWith)) {
      return { ownArgs, inner: [] };
    }
    return { ownArgs, inner: command(program, args.slice(scanned.operand + (options.skip ?? 0))) };
  };
}

function sudo(program: string, args: Word[]): Unwrapped {
  const scanned = scanOptions(args, {
    shortWithValue: 'ugpCDrtTUR',
    longWithValue: [
      'user',
      'group',
      'prompt',
      'close-from',
      'chdir',
      'role',
      'type',
      'command-timeout',
      'other-user',
      'chroot',
      'host',
    ],
  });
  const ownArgs = args.slice(0, scanned.operand);
  // Editing, listing and validating run no command of the caller's.
  if (hasOption(scanned, '-e', '--edit', '-l', '--list', '-v', '--validate', '-V', '--version', '--help')) {
    return { ownArgs, inner: [] };
  }
  const { assignments, rest } = takeAssignments(args.slice(scanned.operand));
  return { ownArgs, inner: command(program, rest, assignments), assignments };
}

function env(program: string, args: Word[]): Unwrapped {
  // `env -` is the old spelling of -i; the scanner would take the lone dash for the command.
  const words = args.filter(
    (w, i) => !(w.value === '-' && args.slice(0, i).every((p) => p.value.startsWith('-'))),
  );
  const scanned = scanOptions(words, {
    shortWithValue: 'uCSP',
    longWithValue: ['unset', 'chdir', 'split-string'],
  });
  const ownArgs = words.slice(0, scanned.operand);
  const { assignments, rest } = takeAssignments(words.slice(scanned.operand));
  const split = scanned.options.find((o) => o.name === '-S' || o.name === '--split-string');
  if (split?.valueWord !== undefined) {
    const joined = joinWords([split.valueWord, ...rest]);
    return { ownArgs, inner: [{ kind: 'script', label: 'env -S', code: joined }], assignments };
  }
  return { ownArgs, inner: command(program, rest, assignments), assignments };
}

/** su and runuser: `-c STRING` is run by the target user's shell; options may follow operands. */
function su(program: string, args: Word[]): Unwrapped {
  const spec: OptionSpec = {
    shortWithValue: 'cgGswu',
    longWithValue: [
      'command',
      'session-command',
      'group',
      'supp-group',
      'shell',
      'whitelist-environment',
      'user',
    ],
    permute: true,
  };
  const scanned = scanOptions(args, spec);
  const code = scanned.options.find((o) => ['-c', '--command', '--session-command'].includes(o.name));
  const ownArgs = args.filter((_, i) => !scanned.operands.includes(i));
  if (code?.valueWord !== undefined) {
    return { ownArgs, inner: [{ kind: 'script', label: `${program} -c`, code: code.valueWord }] };
  }
  // runuser -u USER [--] COMMAND …: the command is given as words, not as shell text.
  if (program === 'runuser' && hasOption(scanned, '-u', '--user')) {
    const plain = scanOptions(args, { ...spec, permute: false });
    return { ownArgs: args.slice(0, plain.operand), inner: command(program, args.slice(plain.operand)) };
  }
  return { ownArgs, inner: [] };
}

function xargs(program: string, args: Word[]): Unwrapped {
  return simple({
    shortWithValue: 'aEILnPsd',
    longWithValue: [
      'arg-file',
      'eof',
      'replace',
      'max-lines',
      'max-args',
      'max-procs',
      'max-chars',
      'delimiter',
      'process-slot-var',
    ],
  })(program, args);
}

const FIND_ACTIONS = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/** find's -exec family: the words up to `;` (or `{} +`) are a command run for each file. */
function find(_program: string, args: Word[]): Unwrapped {
  const ownArgs: Word[] = [];
  const inner: Inner[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word.dynamic || !FIND_ACTIONS.has(word.value)) {
      ownArgs.push(word);
      continue;
    }
    ownArgs.push(word);
    const words: Word[] = [];
    let j = i + 1;
    for (; j < args.length; j++) {
      const w = args[j]!;
      if (!w.dynamic && (w.value === ';' || (w.value === '+' && args[j - 1]?.value === '{}'))) break;
      words.push(w);
    }
    inner.push(...command(`find ${word.value}`, words));
    i = j;
  }
  return { ownArgs, inner };
}

function shell(program: string, args: Word[]): Unwrapped {
  const source = codeSource(program, args);
  if (source.kind !== 'code') return { ownArgs: args, inner: [] };
  const ownArgs = args.slice(0, source.optionEnd);
  const code = source.code[0];
  return { ownArgs, inner: code === undefined ? [] : [{ kind: 'script', label: `${program} -c`, code }] };
}

/** bash joins eval's arguments with spaces and parses the result. */
function evalBuiltin(_program: string, args: Word[]): Unwrapped {
  const words = args[0]?.value === '--' ? args.slice(1) : args;
  return {
    ownArgs: [],
    inner: words.length === 0 ? [] : [{ kind: 'script', label: 'eval', code: joinWords(words) }],
  };
}

/** watch hands its words to `sh -c` joined by spaces, unless -x asks it to exec them. */
function watch(program: string, args: Word[]): Unwrapped {
  const scanned: ScannedOptions = scanOptions(args, { shortWithValue: 'nq', longWithValue: ['interval'] });
  const ownArgs = args.slice(0, scanned.operand);
  const rest = args.slice(scanned.operand);
  if (hasOption(scanned, '-x', '--exec')) return { ownArgs, inner: command(program, rest) };
  return {
    ownArgs,
    inner: rest.length === 0 ? [] : [{ kind: 'script', label: program, code: joinWords(rest) }],
  };
}

export function joinWords(words: readonly Word[]): Word {
  const joined = staticWord(words.map((w) => w.value).join(' '));
  joined.dynamic = words.some((w) => w.dynamic);
  joined.text = words.map((w) => w.text).join(' ');
  return joined;
}

const WRAPPERS: ReadonlyMap<string, Unwrapper> = new Map<string, Unwrapper>([
  ['sudo', sudo],
  ['doas', simple({ shortWithValue: 'uC' }, { noCommandWith: ['-C'] })],
  ['su', su],
  ['runuser', su],
  ['env', env],
  ['nohup', simple({})],
  ['nice', simple({ shortWithValue: 'n', longWithValue: ['adjustment'], numeric: true })],
  [
    'ionice',
    simple(
      { shortWithValue: 'cnpPu', longWithValue: ['class', 'classdata', 'pid', 'pgid', 'uid'] },
      { noCommandWith: ['-p', '-P', '-u', '--pid', '--pgid', '--uid'] },
    ),
  ],
  ['time', simple({ shortWithValue: 'fo', longWithValue: ['format', 'output'] })],
  ['timeout', simple({ shortWithValue: 'sk', longWithValue: ['signal', 'kill-after'] }, { skip: 1 })],
  ['stdbuf', simple({ shortWithValue: 'ioe', longWithValue: ['input', 'output', 'error'] })],
  ['command', simple({}, { noCommandWith: ['-v', '-V'] })],
  ['exec', simple({ shortWithValue: 'a' })],
  ['builtin', simple({})],
  ['coproc', simple({})],
  ['setsid', simple({})],
  ['pkexec', simple({ longWithValue: ['user'] })],
  ['chroot', simple({ longWithValue: ['userspec', 'groups'] }, { skip: 1 })],
  ['busybox', simple({}, { noCommandWith: ['--list', '--help', '--install', '--list-full'] })],
  ['xargs', xargs],
  ['find', find],
  ['eval', evalBuiltin],
  ['watch', watch],
]);

export function isWrapper(program: string): boolean {
  return WRAPPERS.has(program) || isShell(program);
}

/** What `program args…` runs, or undefined when it is not a wrapper. */
export function unwrap(program: string, args: Word[]): Unwrapped | undefined {
  const unwrapper = WRAPPERS.get(program) ?? (isShell(program) ? shell : undefined);
  return unwrapper?.(program, args);
}
