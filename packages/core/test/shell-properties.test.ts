import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../src/contract.js';
import { extractShellFactsSync, loadShellParser } from '../src/shell/index.js';
import { shellCorpus } from './corpus/shell-corpus.js';

beforeAll(async () => {
  await loadShellParser();
});

/** A line must come back quickly, well-formed, and failing closed when not understood. */
function checkInvariants(line: string, budgetMs = 2_000): ShellFacts {
  const started = performance.now();
  const facts = extractShellFactsSync(line);
  expect(performance.now() - started).toBeLessThan(budgetMs);
  expect(facts.raw).toBe(line);
  for (const command of facts.commands) {
    expect(Array.isArray(command.via)).toBe(true);
    expect(command.via.every((v) => typeof v === 'string')).toBe(true);
    expect(typeof command.program).toBe('string');
    expect(command.args.every((a) => typeof a === 'string')).toBe(true);
    expect(command.flags.every((f) => f.startsWith('-'))).toBe(true);
    if (command.dynamic) expect(command.program).toBe('');
    if (command.piped) expect(typeof command.piped_from).toBe('string');
    else expect(command.piped_from).toBeUndefined();
  }
  if (!facts.parsed) {
    expect(typeof facts.error).toBe('string');
    expect(facts.opaque.some((o) => o.reason === 'parse_error')).toBe(true);
  } else {
    expect(facts.error).toBeUndefined();
  }
  if (facts.commands.some((c) => c.dynamic)) expect(facts.opaque.length).toBeGreaterThan(0);
  expect(facts.error ?? '').not.toMatch(/^extraction failed/);
  // What a policy receives is JSON: nothing may be lost on the way.
  expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
  return facts;
}

const shellChars = fc.constantFrom(
  ...'abcrmsuxz019 -_/.=*?~\t\n;&|<>(){}[]$`"\'\\!#,:'.split(''),
  '$(',
  '<<',
  '<<<',
  '&&',
  '||',
  '|&',
  'sudo ',
  'bash -c ',
  'eval ',
  'xargs ',
  ' -exec ',
  '<<EOF\n',
  '\nEOF\n',
  '${',
  '$((',
  'é',
  '🎉',
);

describe('shell fact extraction properties', () => {
  it('survives random printable strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        checkInvariants(line);
      }),
      { numRuns: 400 },
    );
  });

  it('survives random shell-flavoured text', () => {
    fc.assert(
      fc.property(fc.array(shellChars, { maxLength: 120 }), (parts) => {
        checkInvariants(parts.join(''));
      }),
      { numRuns: 600 },
    );
  });

  it('survives mutations of corpus lines', () => {
    const lines = shellCorpus.map((c) => c.line);
    const mutation = fc.tuple(
      fc.constantFrom(...lines),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), shellChars), { minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(mutation, ([line, edits]) => {
        let mutated = line;
        for (const [at, deleteCount, insert] of edits) {
          const index = mutated.length === 0 ? 0 : at % (mutated.length + 1);
          mutated = mutated.slice(0, index) + insert + mutated.slice(index + deleteCount);
        }
        checkInvariants(mutated);
      }),
      { numRuns: 600 },
    );
  });

  it('survives deep nesting of every construct that nests', () => {
    const wrap: Record<string, (inner: string) => string> = {
      subst: (s) => `echo $(${s})`,
      backtick: (s) => `echo "\`${s.replaceAll('`', '\\`')}\`"`,
      subshell: (s) => `(${s})`,
      group: (s) => `{ ${s}; }`,
      procsubst: (s) => `cat <(${s})`,
      shc: (s) => `sh -c ${JSON.stringify(s)}`,
      evalq: (s) => `eval '${s.replaceAll("'", "'\\''")}'`,
      sudo: (s) => `sudo ${s}`,
      iff: (s) => `if true; then ${s}; fi`,
      fn: (s) => `f() { ${s}; }`,
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(wrap)), fc.integer({ min: 1, max: 600 }), (kind, depth) => {
        let line = 'rm -rf /';
        for (let i = 0; i < depth && line.length < 200_000; i++) line = wrap[kind]!(line);
        checkInvariants(line, 10_000);
      }),
      { numRuns: 40 },
    );
  });

  it('fails closed beyond the nesting limit instead of overflowing the stack', () => {
    const line = `${'echo $('.repeat(3000)}rm -rf /${')'.repeat(3000)}`;
    const facts = checkInvariants(line, 10_000);
    expect(facts.parsed).toBe(false);
    expect(facts.error).toMatch(/nesting deeper/);
  });

  it('fails closed on sh -c strings nested past the script depth limit', () => {
    let line = 'rm -rf /';
    for (let i = 0; i < 12; i++) line = `sh -c ${JSON.stringify(line)}`;
    const facts = checkInvariants(line, 10_000);
    expect(facts.opaque.some((o) => o.reason === 'parse_error')).toBe(true);
  });

  it('gives the same facts for the same line twice (no state leaks between calls)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...shellCorpus.map((c) => c.line)), (line) => {
        expect(extractShellFactsSync(line)).toEqual(extractShellFactsSync(line));
      }),
      { numRuns: 100 },
    );
  });
});

describe('large input', () => {
  it('finishes a 1 MB line of commands', () => {
    const line = 'rm -rf /tmp/x; '.repeat(70_000);
    expect(line.length).toBeGreaterThan(1_000_000);
    const facts = checkInvariants(line, 20_000);
    expect(facts.commands.length).toBe(70_000);
  });

  it('finishes a 1 MB single word and an unterminated 1 MB string', () => {
    checkInvariants(`echo ${'a'.repeat(1_000_000)}`, 20_000);
    const facts = checkInvariants(`echo "${'a'.repeat(1_000_000)}`, 20_000);
    expect(facts.parsed).toBe(false);
  });

  it('finishes 1 MB of punctuation soup', () => {
    const soup = '(){}|&;<>"\'`$\\ \nx';
    let line = '';
    for (let i = 0; line.length < 1_000_000; i++) line += soup[(i * 7919) % soup.length];
    checkInvariants(line, 20_000);
  });
});
