import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../src/contract.js';
import { extractShellFacts, extractShellFactsSync, loadShellParser } from '../src/shell/index.js';
import { shellCorpus } from './corpus/shell-corpus.js';

beforeAll(async () => {
  await loadShellParser();
});

function check(facts: ShellFacts, expectation: (typeof shellCorpus)[number]['expect']): void {
  expect(facts.parsed).toBe(expectation.parsed ?? true);
  if (facts.error !== undefined) expect(facts.error).not.toMatch(/^extraction failed/);
  if (expectation.programs !== undefined)
    expect(facts.commands.map((c) => c.program)).toEqual(expectation.programs);
  for (const command of expectation.commands ?? []) {
    expect(facts.commands).toContainEqual(expect.objectContaining(command));
  }
  for (const program of expectation.absent ?? []) {
    expect(facts.commands.map((c) => c.program)).not.toContain(program);
  }
  if (expectation.substitutions !== undefined) expect(facts.substitutions).toBe(expectation.substitutions);
  for (const redirect of expectation.redirects ?? []) {
    expect(facts.redirects).toContainEqual(expect.objectContaining(redirect));
  }
  if (expectation.interpreter_pipes !== undefined) {
    expect(facts.interpreter_pipes).toEqual(expectation.interpreter_pipes);
  }
  const reasons = [...new Set(facts.opaque.map((o) => o.reason))].sort();
  expect(reasons).toEqual([...new Set(expectation.opaque ?? [])].sort());
}

describe('shell corpus', () => {
  it('has at least 150 lines, none repeated', () => {
    expect(shellCorpus.length).toBeGreaterThanOrEqual(150);
    expect(new Set(shellCorpus.map((c) => c.line)).size).toBe(shellCorpus.length);
  });

  for (const { line, expect: expectation } of shellCorpus) {
    it(JSON.stringify(line), () => {
      check(extractShellFactsSync(line), expectation);
    });
  }
});

describe('extractShellFacts', () => {
  it('loads the grammar itself and gives the same facts as the sync form', async () => {
    const line = 'sudo bash -c "rm -rf /"';
    expect(await extractShellFacts(line)).toEqual(extractShellFactsSync(line));
  });

  it('keeps the raw line', () => {
    expect(extractShellFactsSync('ls -l').raw).toBe('ls -l');
  });
});
