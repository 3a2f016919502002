/**
 * Decisions shared between a postgres resource's sessions, with the shipped policy library as
 * the gateway compiles it, against Debian's PostgreSQL with psql. The compiler reports what the
 * library reads of its input (not the session id, start or source, nor the credential in the
 * claims), so an agent's next session runs its first statement on the decision the last one
 * made, and is still recorded as itself; a person, whom the library judges apart, is not.
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentGateway, psqlOn, startAgentGateway } from './support/agent-gateway.js';

let g: AgentGateway;

beforeAll(async () => {
  g = await startAgentGateway(
    'CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, $$hi$$)',
    'bot',
    {
      humans: ['erin'],
    },
  );
}, 120_000);

afterAll(async () => {
  await g?.stop();
});

const psql = (user: string, key: string, sql: string) => psqlOn(g, user, key, sql);

interface Record {
  stage?: string;
  session_id: string;
  subject: { id: string; kind: string };
  action: { summary: string };
  effect: string;
  cached?: boolean;
}

function decisions(summary: string): Record[] {
  return readFileSync(g.auditPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record)
    .filter((r) => (r.stage ?? 'decision') === 'decision' && r.action.summary === summary);
}

describe("a postgres resource's sessions", () => {
  it('share what the policy cannot tell apart, each recorded as its own session', async () => {
    const sql = 'SELECT body FROM notes WHERE id = 1';
    expect(await psql('bot', g.key, sql)).toBe('hi');
    expect(await psql('bot', g.key, sql)).toBe('hi');
    expect(await psql('erin', g.humanKeys.erin as string, sql)).toBe('hi');
    const [first, second, person] = decisions(sql);
    expect(first).toMatchObject({ subject: { id: 'bot', kind: 'agent' }, effect: 'allow', cached: false });
    expect(second).toMatchObject({ subject: { id: 'bot', kind: 'agent' }, effect: 'allow', cached: true });
    expect(second?.session_id).not.toBe(first?.session_id);
    expect(person).toMatchObject({ subject: { id: 'erin', kind: 'human' }, cached: false });
  });

  it('share a deny too', async () => {
    const drop = 'DROP TABLE notes';
    for (let i = 0; i < 2; i++) await expect(psql('bot', g.key, drop)).rejects.toThrow(/DROP/);
    expect(decisions(drop).map((r) => [r.effect, r.cached])).toEqual([
      ['deny', false],
      ['deny', true],
    ]);
    expect(await psql('bot', g.key, 'SELECT count(*) FROM notes')).toBe('1');
  });
});
