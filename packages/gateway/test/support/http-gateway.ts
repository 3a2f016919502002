/**
 * A gateway in front of a real HTTP server that answers `ok`, on a static allow-all engine,
 * with an API key for agent-7 and its JSON logs captured: for tests of what the gateway does
 * around requests (the audit log, its index) rather than of the policy.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createEngine, staticEvaluator } from '@portcullis/core';
import pino from 'pino';
import { validateConfig } from '../../src/config/validate-config.js';
import { type Gateway, startGateway } from '../../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../../src/identity/api-key-hash.js';

export interface HttpGateway {
  gateway: Gateway;
  /** The gateway's log lines, parsed. */
  lines: Record<string, unknown>[];
  /** GET `path` through the gateway as agent-7; resolves with the status once the body is read. */
  get(path: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHttpGateway(options: {
  home: string;
  audit: Record<string, unknown>;
  statePath?: string;
  recordings?: Record<string, unknown>;
}): Promise<HttpGateway> {
  const api = createServer((_req, res) => res.end('ok'));
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');
  const key = generateApiKey();
  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      state: { path: options.statePath ?? join(options.home, 'state.db') },
      audit: options.audit,
      ...(options.recordings ? { recordings: options.recordings } : {}),
      identity: { api_keys: [{ id: 'agent-7', kind: 'agent', hash: hashApiKey(key, 'sha256') }] },
      resources: [
        {
          type: 'http',
          name: 'api',
          listen: { port: 0 },
          upstream: { url: `http://127.0.0.1:${(api.address() as AddressInfo).port}` },
        },
      ],
    },
    options.home,
  );
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const engine = createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) });
  const gateway = await startGateway({ config, engine, logger });
  const authorization = `Basic ${Buffer.from(`agent-7:${key}`).toString('base64')}`;
  return {
    gateway,
    lines,
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${gateway.resources.get('api')?.port}${path}`, {
        headers: { authorization },
      });
      await res.text();
      return res.status;
    },
    async close() {
      await gateway.close();
      api.close();
    },
  };
}
