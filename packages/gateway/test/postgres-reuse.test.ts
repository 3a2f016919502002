/**
 * `upstream.reuse` on a gateway's postgres resource, against Debian's PostgreSQL with psql:
 * one person's session ends, an agent's next session runs on the backend it left, reset, and
 * each session is in the audit log as its own.
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { repoRoot } from './cli-helpers.js';
import { type AgentGateway, psqlOn, startAgentGateway } from './support/agent-gateway.js';

let g: AgentGateway;

beforeAll(async () => {
  g = await startAgentGateway('SELECT 1', 'bot', { humans: ['erin'], reuse: true });
}, 120_000);

afterAll(async () => {
  await g?.stop();
});

/** One psql session: its last output line. */
async function psql(user: string, key: string, sql: string): Promise<string> {
  return (await psqlOn(g, user, key, sql)).split('\n').at(-1) ?? '';
}

describe('upstream.reuse on a postgres resource', () => {
  it("runs the next session, another identity's, on the backend the last one left, reset", async () => {
    const erin = g.humanKeys.erin as string;
    const first = await psql('erin', erin, 'SET search_path = nowhere; SELECT pg_backend_pid()');
    // psql has sent Terminate; the proxy resets the backend before it is offered again.
    let next = '';
    for (let i = 0; i < 50 && next !== first; i++) {
      await new Promise((r) => setTimeout(r, 50));
      next = await psql('bot', g.key, 'SELECT pg_backend_pid()');
    }
    expect(next).toBe(first);
    // Between sessions, the kept backend is on /metrics.
    const idle = async () => {
      const metrics = await (await fetch(`${g.gateway.url}/metrics`)).text();
      return /^portcullis_pg_upstream_idle_connections\{resource="prod-db"\} (\d+)$/m.exec(metrics)?.[1];
    };
    for (let i = 0; i < 50 && (await idle()) !== '1'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await idle()).toBe('1');
    expect(await psql('bot', g.key, "SELECT current_setting('search_path')")).toBe('"$user", public');
    // Each session is its own in the audit log, whichever backend it ran on.
    const starts = readFileSync(g.auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage?: string; subject: { id: string } })
      .filter((r) => r.stage === 'session_start');
    expect(starts.map((r) => r.subject.id).slice(0, 2)).toEqual(['erin', 'bot']);
  });

  it('is off unless asked for, and must be a boolean', () => {
    const config = (reuse?: unknown) => ({
      server: { listen: { port: 0 } },
      policy: { rego: `${repoRoot}/rego` },
      state: { path: '/tmp/unused-state.db' },
      audit: { path: '/tmp/unused-audit.jsonl' },
      resources: [
        {
          name: 'db',
          listen: { port: 0 },
          upstream: { host: 'db', user: 'u', password: 'env:P', ...(reuse !== undefined ? { reuse } : {}) },
        },
      ],
    });
    const upstreamOf = (c: ReturnType<typeof validateConfig>) =>
      (c.resources[0] as { upstream: { reuse?: boolean } }).upstream;
    expect(upstreamOf(validateConfig(config(), '/tmp')).reuse).toBeUndefined();
    expect(upstreamOf(validateConfig(config(true), '/tmp')).reuse).toBe(true);
    expect(() => validateConfig(config('yes'), '/tmp')).toThrow(/upstream\.reuse/);
  });
});
