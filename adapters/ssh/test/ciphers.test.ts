import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshProxy } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { ssh } from './support/ssh-client.js';
import { generateKey } from './support/sshd-server.js';

let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture({ ciphers: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'] });
});
afterAll(async () => {
  await fx?.stop();
});

describe('ciphers offered to clients', () => {
  it('a default OpenSSH client gets one of them', async () => {
    const result = await ssh(fx.user, 'echo gcm', { extra: ['-v'] });
    expect(result.stdout).toBe('gcm\n');
    expect(result.stderr).toMatch(/cipher: aes128-gcm@openssh\.com/);
  });

  it('a client that insists on another cannot connect', async () => {
    const result = await ssh(fx.user, 'echo never', { extra: ['-v', '-c', 'chacha20-poly1305@openssh.com'] });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/no matching cipher/);
  });

  it('an unknown cipher name, or none, is refused when the proxy is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-ciphers-'));
    try {
      const hostKey = readFileSync(await generateKey(dir, 'host_key'));
      const proxyWith = (ciphers: string[]) =>
        createSshProxy({
          engine: createEngine({
            evaluator: staticEvaluator(() => ({ effect: 'allow', reasons: [], masks: [] })),
          }),
          hostKeys: [hostKey],
          authenticate: { password: () => null },
          upstream: {
            host: 'h',
            username: 'u',
            privateKey: 'k',
            hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
          },
          resource: { name: 'r' },
          ciphers,
        });
      expect(() => proxyWith(['rot13'])).toThrow(
        expect.objectContaining({ option: 'ciphers', message: expect.stringContaining('rot13') }),
      );
      expect(() => proxyWith([])).toThrow(/ciphers/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
