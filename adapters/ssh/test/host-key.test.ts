import { readFileSync } from 'node:fs';
import { createEngine, InvalidOptionError, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshProxy, type SshProxyOptions } from '../src/index.js';
import { ssh } from './support/ssh-client.js';
import { generateKey, type SshdServer, startSshd } from './support/sshd-server.js';

let sshd: SshdServer;
let hostKey: Buffer;
let userKey: string;

beforeAll(async () => {
  sshd = await startSshd();
  hostKey = readFileSync(await generateKey(sshd.dir, 'proxy_host_key'));
  userKey = await generateKey(sshd.dir, 'user_key');
});
afterAll(async () => {
  await sshd?.stop();
});

function options(upstream: Partial<SshProxyOptions['upstream']>): SshProxyOptions {
  return {
    engine: createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) }),
    hostKeys: [hostKey],
    authenticate: { publicKey: () => ({ subject: { id: 'alice' } }) },
    upstream: {
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.operatorKey,
      ...upstream,
    } as SshProxyOptions['upstream'],
    resource: { name: 'web-1' },
  };
}

describe('upstream host key', () => {
  it('refuses to run anything on a host whose key is not the pinned one', async () => {
    const wrong = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const proxy = createSshProxy(options({ hostKeyFingerprint: wrong }));
    const { port } = await proxy.listen();
    try {
      const result = await ssh({ port, identity: userKey }, 'echo hello');
      expect(result.code).toBe(255);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('not the pinned key');
    } finally {
      await proxy.close();
    }
  });

  it('connects when the pinned fingerprint matches', async () => {
    const proxy = createSshProxy(options({ hostKeyFingerprint: sshd.hostKeyFingerprint }));
    const { port } = await proxy.listen();
    try {
      expect(await ssh({ port, identity: userKey }, 'echo hello')).toMatchObject({
        code: 0,
        stdout: 'hello\n',
      });
    } finally {
      await proxy.close();
    }
  });

  it('will not start without a pinned key or a verifier', () => {
    expect(() => createSshProxy(options({}))).toThrow(InvalidOptionError);
    expect(() => createSshProxy(options({}))).toThrow(/upstream.hostKeyFingerprint/);
  });
});
