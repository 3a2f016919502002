import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { binPath, ensureBuilt, repoRoot, runCli } from './cli-helpers.js';

const exec = promisify(execFile);

describe('portcullis facts', () => {
  it('prints the input document for --sql with resource labels and subject', async () => {
    const r = await runCli([
      'facts',
      '--sql',
      "DROP TABLE users; SELECT 'DROP TABLE x'",
      '--resource-name',
      'prod-db',
      '--resource-labels',
      'env=prod,team=core',
      '--subject',
      'agent-7',
      '--subject-kind',
      'agent',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe('portcullis.v1');
    expect(doc.subject).toMatchObject({ id: 'agent-7', kind: 'agent' });
    expect(doc.resource).toEqual({
      type: 'postgres',
      name: 'prod-db',
      labels: { env: 'prod', team: 'core' },
    });
    expect(doc.action.type).toBe('sql');
    const statements = doc.action.sql.statements;
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ type: 'drop', object_type: 'table' });
    // The string literal is data, not a second DROP.
    expect(statements[1].type).toBe('select');
  });

  it('prints shell facts for --command, seeing through wrappers and not through quotes', async () => {
    const r = await runCli(['facts', '--command', `sudo bash -c "rm -rf /"; echo "rm -rf /"`]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.resource.type).toBe('ssh');
    expect(doc.action.type).toBe('shell');
    const programs = doc.action.shell.commands.map((c: { program: string }) => c.program);
    expect(programs).toContain('rm');
    expect(programs).toContain('echo');
    expect(programs.filter((p: string) => p === 'rm')).toHaveLength(1);
    const rm = doc.action.shell.commands.find((c: { program: string }) => c.program === 'rm');
    expect(rm.flags).toEqual(expect.arrayContaining(['-r', '-f']));
  });

  it('uses action type exec with --exec', async () => {
    const r = await runCli(['facts', '--command', 'ls -la', '--exec']);
    expect(JSON.parse(r.stdout).action.type).toBe('exec');
  });

  it('prints HTTP facts with credentials redacted', async () => {
    const r = await runCli([
      'facts',
      '--http-method',
      'post',
      '--url',
      'https://api.example.com/v1/users?a=1&a=2',
      '--header',
      'Authorization: Bearer sekrit-token',
      'Content-Type: application/json',
      '--body',
      '{"email":"bob@example.com"}',
    ]);
    expect(r.code).toBe(0);
    const http = JSON.parse(r.stdout).action.http;
    expect(http.method).toBe('POST');
    expect(http.path).toBe('/v1/users');
    expect(http.query).toEqual({ a: ['1', '2'] });
    expect(http.body).toEqual({ email: 'bob@example.com' });
    expect(JSON.stringify(http.headers)).not.toContain('sekrit-token');
  });

  it('rejects a request naming no action, with a clear message and exit 2', async () => {
    const r = await runCli(['facts', '--subject', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exactly one of --sql, --command/);
  });

  it('rejects malformed labels', async () => {
    const r = await runCli(['facts', '--sql', 'select 1', '--resource-labels', 'oops']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key=value/);
  });

  it('reads JSON lines and answers each line in order, errors in place', async () => {
    const lines = [
      '{"subject":{"id":"bot","kind":"agent"},"resource":{"type":"postgres","name":"db"},"sql":"SELECT 1"}',
      'not json',
      '',
      '{"subject":{"id":"bot"},"resource":{"type":"ssh","name":"h"},"command":"ls | sh"}',
      '{"subject":{"id":"bot"},"resource":{"type":"nope","name":"h"},"command":"ls"}',
    ].join('\n');
    const r = await runCli(['facts', '--jsonl'], lines);
    expect(r.code).toBe(1);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[0].action.sql.statements[0].type).toBe('select');
    expect(out[1].error).toMatchObject({ code: 'PC_INVALID_REQUEST', line: 2 });
    expect(out[2].action.shell.interpreter_pipes).toEqual([{ from: 'ls', to: 'sh' }]);
    expect(out[3].error).toMatchObject({ code: 'PC_INVALID_REQUEST', line: 5 });
  });

  it('marks SQL that does not parse so a policy can deny it', async () => {
    const r = await runCli(['facts', '--sql', 'SELEC * FROM']);
    expect(r.code).toBe(0);
    const sql = JSON.parse(r.stdout).action.sql;
    expect(sql.parsed).toBe(false);
    expect(sql.statements).toEqual([]);
    expect(sql.error.message).toBeTruthy();
  });
});

describe('the built bin', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  it('runs as `npx portcullis facts` from the repository root', async () => {
    const { stdout } = await exec('npx', ['portcullis', 'facts', '--sql', 'TRUNCATE audit.events'], {
      cwd: repoRoot,
    });
    const doc = JSON.parse(stdout);
    expect(doc.action.sql.statements[0]).toMatchObject({ type: 'truncate', writes: ['audit.events'] });
  });

  // Regression: from the build, the shipped library was looked for above the repository (the
  // CLI's code sits in a chunk at dist/), so `npm start` and a bare `eval` failed.
  it('finds the shipped policy library: `eval` with no --policy, and `up` (the main job)', async () => {
    const { stdout } = await exec(
      'node',
      [
        binPath,
        'eval',
        '--sql',
        'DROP TABLE users',
        '--resource-type',
        'postgres',
        '--resource-name',
        'db',
        '--resource-labels',
        'env=prod',
      ],
      { cwd: '/' },
    );
    expect(JSON.parse(stdout)).toMatchObject({ effect: 'deny', reasons: [{ rule: 'sql.drop_on_prod' }] });
    const up = await exec('node', [binPath, 'up', '--exit-after-ready'], { cwd: '/', timeout: 120_000 });
    expect(up.stdout).toContain('psql');
  }, 180_000);

  it('runs the demo (the main job until the gateway lands)', async () => {
    const { stdout } = await exec('node', [binPath, 'demo'], { cwd: repoRoot });
    expect(stdout).toContain('"program": "rm"');
  });
});
