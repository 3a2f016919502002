import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '@portcullis/rego';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));

describe('portcullis eval', () => {
  it('denies DROP on a prod resource with the shipped policy', async () => {
    const r = await runCli(['eval', '--sql', 'DROP TABLE users', '--resource-labels', 'env=prod']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout);
    expect(decision.effect).toBe('deny');
    expect(decision.reasons.map((x: { rule: string }) => x.rule)).toContain('sql.drop_on_prod');
  });

  it('answers JSON lines in order with effect, reasons, masks and approval', async () => {
    const lines = [
      '{"subject":{"id":"bot","kind":"agent"},"resource":{"type":"postgres","name":"db","labels":{"env":"prod"}},"sql":"SELECT email FROM users"}',
      '{"subject":{"id":"bob"},"resource":{"type":"ssh","name":"h"},"command":"echo \\"rm -rf /\\""}',
      'garbage',
      '{"subject":{"id":"bot","kind":"agent"},"resource":{"type":"http","name":"api","labels":{"env":"prod"}},"http":{"method":"DELETE","url":"https://api.example.com/v1/users/1"}}',
      '{"subject":{"id":"bob"},"resource":{"type":"ssh","name":"h"},"command":"sudo env X=1 bash -c \\"r\'\'m -rf /\\""}',
    ].join('\n');
    const r = await runCli(['eval', '--jsonl'], lines);
    expect(r.code).toBe(1);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(5);
    expect(out[0].effect).toBe('allow');
    expect(out[0].masks).toContainEqual(expect.objectContaining({ column: 'users.email' }));
    expect(out[1]).toEqual({ effect: 'allow', reasons: [], masks: [] });
    expect(out[2].error.code).toBe('PC_INVALID_REQUEST');
    expect(out[3].effect).toBe('approve');
    expect(out[3].approval).toMatchObject({ quorum: 1, scope: 'statement' });
    expect(out[4].effect).toBe('deny');
  });

  it('reports broken Rego with its location and exits 2', async () => {
    const dir = join(scratch, 'broken');
    await mkdir(dir, { recursive: true });
    writeFileSync(join(dir, 'p.rego'), 'package portcullis\n\ndecision := {"effect": \n');
    const r = await runCli(['eval', '--policy', dir, '--sql', 'select 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/p\.rego:\d+: rego_parse_error/);
  });
});

describe('portcullis test', () => {
  it('runs the shipped library on wasm and ends with the count line', async () => {
    const r = await runCli(['test']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('reports a failing test with its location and exits 1', async () => {
    const dir = join(scratch, 'failing');
    await mkdir(dir, { recursive: true });
    writeFileSync(
      join(dir, 'x_test.rego'),
      'package x_test\n\nimport rego.v1\n\ntest_ok if 1 == 1\n\ntest_bad if 1 == 2\n',
    );
    const r = await runCli(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/x_test\.rego:7: .*test_bad: FAIL/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
  });
});

describe('portcullis build', () => {
  const input = {
    subject: { id: 'a', kind: 'human', groups: [], claims: {} },
    resource: { type: 'ssh', name: 'h', labels: {} },
    session: { id: 's', started_at: '2026-11-25T00:00:00Z', source: '', approvals: [] },
    action: { type: 'connect' },
    time: '2026-11-25T00:00:00Z',
  };

  it('writes a wasm module the official loader runs', async () => {
    const out = join(scratch, 'policy.wasm');
    const r = await runCli(['build', '-o', out]);
    expect(r.code).toBe(0);
    const policy = await loadPolicy(new Uint8Array(readFileSync(out)));
    const [first] = policy.evaluate(input, 'portcullis/decision');
    expect(first?.result).toMatchObject({ effect: expect.stringMatching(/^(allow|deny|approve)$/) });
  });

  it('writes an OPA-style bundle that loads the same way', async () => {
    const out = join(scratch, 'bundle.tar.gz');
    const r = await runCli(['build', '--bundle', '-o', out]);
    expect(r.code).toBe(0);
    const policy = await loadPolicy(new Uint8Array(readFileSync(out)));
    expect(Object.keys(policy.entrypoints)).toContain('portcullis/decision');
  });

  it('prints the IR with --ir', async () => {
    const r = await runCli(['build', '--ir']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('portcullis/decision');
  });
});

describe('portcullis conformance', () => {
  it('runs cases from a directory and ends with the count line', async () => {
    const dir = join(scratch, 'conformance', 'v1', 'tiny');
    await mkdir(dir, { recursive: true });
    writeFileSync(
      join(dir, 'test-tiny-0001.yaml'),
      [
        'cases:',
        '  - note: tiny/count',
        '    query: data.generated.p = x',
        '    modules:',
        '      - |',
        '        package generated',
        '',
        '        p := count(data.a)',
        '    data:',
        '      a: [1, 2, 3]',
        '    want_result:',
        '      - x: 3',
        '  - note: tiny/wrong-on-purpose',
        '    query: data.generated.p = x',
        '    modules:',
        '      - |',
        '        package generated',
        '',
        '        p := 1',
        '    want_result:',
        '      - x: 2',
        '',
      ].join('\n'),
    );
    const r = await runCli(['conformance', join(scratch, 'conformance', 'v1')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tiny\s+1\/2/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const strict = await runCli(['conformance', join(scratch, 'conformance', 'v1'), '--min', '2']);
    expect(strict.code).toBe(1);
  });
});
