import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInterpreterExecutor, formatTestReport, type RegoExecutor, runRegoTests } from './index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rego-tests-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, text);
  }
  return root;
}

const POLICY = 'package app\n\nimport rego.v1\n\nallow if input.user == data.app.admin\n';

describe('runRegoTests', () => {
  it('passes true tests and fails undefined, false and erroring ones', async () => {
    const root = await tree('mixed', {
      'app.rego': POLICY,
      'app/data.json': '{"admin": "alice"}',
      'nested/app_test.rego': [
        'package app_test',
        'import rego.v1',
        'import data.app',
        'test_admin_allowed if app.allow with input as {"user": "alice"}',
        'test_other_allowed if app.allow with input as {"user": "bob"}',
        'test_false := false',
        'test_error if 1 / 0',
        'helper if true',
      ].join('\n'),
    });
    const run = await runRegoTests([root]);
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(3);
    const byName = Object.fromEntries(run.results.map((r) => [r.name, r]));
    expect(byName['data.app_test.test_admin_allowed']?.passed).toBe(true);
    expect(byName['data.app_test.test_other_allowed']).toMatchObject({
      passed: false,
      error: 'undefined',
      row: 5,
    });
    expect(byName['data.app_test.test_false']).toMatchObject({ passed: false, error: 'result false' });
    expect(byName['data.app_test.test_error']?.error).toContain('divide by zero');
    expect(byName['data.app_test.helper']).toBeUndefined();
    const report = formatTestReport(run);
    expect(report).toContain(
      `${join(root, 'nested/app_test.rego')}:5: data.app_test.test_other_allowed: FAIL (undefined)`,
    );
    expect(report.split('\n').at(-1)).toBe('1 passed, 3 failed');
  });

  it('reports compile errors with their locations', async () => {
    const root = await tree('broken', {
      'a_test.rego': 'package a\n\nimport rego.v1\n\ntest_x if {\n  y := 1\n  z == 2\n}\n',
      'b.rego': 'package b\n\np if {\n',
    });
    const run = await runRegoTests([root]);
    expect(run.passed).toBe(0);
    expect(run.failed).toBeGreaterThan(0);
    const report = formatTestReport(run);
    expect(report).toMatch(new RegExp(`${join(root, 'b.rego')}:\\d+: <compile>: FAIL \\(rego_parse_error`));
    expect(report.split('\n').at(-1)).toMatch(/^0 passed, \d+ failed$/);
  });

  it('reports unsafe variables from the compiler with the row', async () => {
    const root = await tree('unsafe', {
      'a_test.rego': 'package a\n\nimport rego.v1\n\ntest_x if {\n  z == 2\n}\n',
    });
    const run = await runRegoTests([root]);
    expect(run.results).toEqual([
      expect.objectContaining({ name: '<compile>', file: join(root, 'a_test.rego'), row: 6, passed: false }),
    ]);
    expect(run.results[0]?.error).toContain('rego_unsafe_var_error');
  });

  it('merges data.yaml by directory and accepts single files', async () => {
    const root = await tree('yaml', {
      'conf/data.yaml': 'limit: 3\n',
      't_test.rego': 'package t\n\nimport rego.v1\n\ntest_limit if data.conf.limit == 3\n',
    });
    expect((await runRegoTests([root])).passed).toBe(1);
    const single = await runRegoTests([join(root, 't_test.rego')]);
    expect(single).toMatchObject({ passed: 0, failed: 1 });
  });

  it('runs through any executor', async () => {
    const root = await tree('exec', {
      't_test.rego': 'package t\n\nimport rego.v1\n\ntest_a if true\ntest_b if true\n',
    });
    const seen: string[] = [];
    const inner = createInterpreterExecutor();
    const executor: RegoExecutor = {
      name: 'spy',
      async load(sources, entrypoints, data) {
        seen.push(...entrypoints);
        const loaded = await inner.load(sources, entrypoints, data);
        return { evaluate: (e, input) => loaded.evaluate(e, input) };
      },
    };
    const run = await runRegoTests([root], { executor });
    expect(seen).toEqual(['t/test_a', 't/test_b']);
    expect(run).toMatchObject({ passed: 2, failed: 0 });
  });

  it('reports an executor that cannot load as one failure', async () => {
    const root = await tree('noload', { 't_test.rego': 'package t\n\nimport rego.v1\n\ntest_a if true\n' });
    const executor: RegoExecutor = {
      name: 'broken',
      load() {
        throw new Error('backend unavailable');
      },
    };
    const run = await runRegoTests([root], { executor });
    expect(run.failed).toBe(1);
    expect(run.results[0]).toMatchObject({ name: '<load>', error: 'backend unavailable' });
  });
});
