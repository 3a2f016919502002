/**
 * A real sshd, a user key pair, and a proxy in front of the sshd with a test policy: what
 * every end-to-end test starts from.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  type Decision,
  InMemoryApprovalStore,
  type InputDocument,
  staticEvaluator,
} from '@portcullis/core';
import { createSshProxy, type SshProxy, type SshProxyOptions } from '../../src/index.js';
import type { SshTarget } from './ssh-client.js';
import { fingerprintOf, generateKey, type SshdServer, startSshd } from './sshd-server.js';

export interface ProxyFixture {
  sshd: SshdServer;
  proxy: SshProxy;
  store: InMemoryApprovalStore;
  audit: AuditRecord[];
  /** The user's key, mapped to alice. */
  user: SshTarget;
  /** A key nobody mapped to an identity. */
  stranger: SshTarget;
  /** A scratch directory on the host the tests may create files in. */
  scratch: string;
  stop(): Promise<void>;
}

/**
 * The test policy: rm of `/` or of anything in the scratch directory is denied, touch is held
 * for group:ops, shells and sftp are allowed, forwarding is refused unless `forwarding`
 * allows it (a local forward's target port, a remote forward's port on the host, the agent), lines that do not parse are denied, and everything else is allowed with
 * card numbers masked. Files: removals are denied, renames to a name with `held` in it are
 * held for group:ops, writes to paths with `readonly` in them are denied, reads and listings of paths with `secret` in them come with masks (which a file
 * transfer cannot honour, and a listing's names get), everything else is allowed.
 */
export interface ForwardingAllowed {
  /** The target port of local forwards (`ssh -L`) the policy allows. */
  local?: number;
  /** The port on the host of remote forwards (`ssh -R`) the policy allows. */
  remote?: number;
  /** Whether agent forwarding (`ssh -A`) is allowed. */
  agent?: boolean;
}

export function testPolicy(scratch: string, forwarding: ForwardingAllowed = {}) {
  return (input: InputDocument): Decision => {
    const file = input.action.file;
    if (input.action.type === 'file') {
      if (!file)
        return { effect: 'deny', reasons: [{ rule: 'test.no_file', message: 'no file' }], masks: [] };
      if (file.operation === 'remove' || file.operation === 'rmdir') {
        return {
          effect: 'deny',
          reasons: [{ rule: 'files.no_remove', message: `removing ${file.path} is not allowed` }],
          masks: [],
        };
      }
      if (file.operation === 'rename' && file.target?.includes('held')) {
        return {
          effect: 'approve',
          reasons: [{ rule: 'files.rename_needs_review', message: 'this rename needs an operator' }],
          masks: [],
          approval: { reviewers: ['group:ops'], quorum: 1, scope: 'statement', ttl: '5m' },
        };
      }
      if (file.operation === 'write' && file.path.includes('readonly')) {
        return {
          effect: 'deny',
          reasons: [{ rule: 'files.readonly', message: `${file.path} is read-only` }],
          masks: [],
        };
      }
      if ((file.operation === 'read' || file.operation === 'list') && file.path.includes('secret')) {
        return {
          effect: 'allow',
          reasons: [],
          masks: [{ detector: 'credit_card', strategy: 'partial', keep: 4 }],
        };
      }
      return { effect: 'allow', reasons: [], masks: [] };
    }
    const shell = input.action.shell;
    if (!shell)
      return { effect: 'deny', reasons: [{ rule: 'test.no_shell', message: 'no command' }], masks: [] };
    if (input.action.type === 'connect') {
      const cmd = shell.commands[0];
      if (shell.raw === 'subsystem sftp') return { effect: 'allow', reasons: [], masks: [] };
      if (shell.raw === 'shell') {
        return {
          effect: 'allow',
          reasons: [],
          masks: [{ detector: 'credit_card', strategy: 'partial', keep: 4 }],
        };
      }
      const allowed =
        (cmd?.program === 'direct-tcpip' && cmd.args[1] === String(forwarding.local)) ||
        (cmd?.program === 'tcpip-forward' && cmd.args[1] === String(forwarding.remote)) ||
        (cmd?.program === 'auth-agent' && forwarding.agent === true);
      if (allowed) return { effect: 'allow', reasons: [], masks: [] };
      return {
        effect: 'deny',
        reasons: [{ rule: 'ssh.no_forwarding', message: 'forwarding is off' }],
        masks: [],
      };
    }
    if (!shell.parsed) {
      return {
        effect: 'deny',
        reasons: [{ rule: 'ssh.unparsed', message: 'the line does not parse' }],
        masks: [],
      };
    }
    for (const c of shell.commands) {
      if (c.program === 'rm' && c.args.some((a) => a === '/' || a === '/*' || a.startsWith(scratch))) {
        return {
          effect: 'deny',
          reasons: [{ rule: 'ssh.no_rm_root', message: 'removing / or protected files is not allowed' }],
          masks: [],
        };
      }
    }
    if (shell.commands.some((c) => c.program === 'touch')) {
      return {
        effect: 'approve',
        reasons: [{ rule: 'ssh.touch_needs_review', message: 'creating files needs an operator' }],
        masks: [],
        approval: { reviewers: ['group:ops'], quorum: 1, scope: 'statement', ttl: '5m' },
      };
    }
    return {
      effect: 'allow',
      reasons: [],
      masks: [{ detector: 'credit_card', strategy: 'partial', keep: 4 }],
    };
  };
}

export async function startProxyFixture(
  overrides: Partial<SshProxyOptions> & { forwarding?: ForwardingAllowed } = {},
): Promise<ProxyFixture> {
  const sshd = await startSshd();
  const keys = mkdtempSync(join(tmpdir(), 'portcullis-ssh-keys-'));
  const userKey = await generateKey(keys, 'alice_key');
  const strangerKey = await generateKey(keys, 'stranger_key');
  const proxyHostKey = await generateKey(keys, 'proxy_host_key');
  const aliceFingerprint = await fingerprintOf(`${userKey}.pub`);
  const scratch = mkdtempSync(join(tmpdir(), 'portcullis-ssh-scratch-'));
  const store = new InMemoryApprovalStore();
  const audit: AuditRecord[] = [];
  const sink: AuditSink = {
    async write(record) {
      audit.push(record);
    },
    async close() {},
  };
  const { forwarding, ...rest } = overrides;
  const proxy = createSshProxy({
    engine: createEngine({
      evaluator: staticEvaluator(testPolicy(scratch, forwarding), 'ssh-test-policy'),
    }),
    hostKeys: [readFileSync(proxyHostKey)],
    authenticate: {
      publicKey: (ctx) =>
        ctx.fingerprint === aliceFingerprint
          ? { subject: { id: 'alice@example.com', groups: ['dev'] } }
          : null,
    },
    upstream: {
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.operatorKey,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    },
    resource: { name: 'web-1', labels: { env: 'test' } },
    approvals: { store, waitMs: 20_000 },
    audit: sink,
    ...rest,
  });
  const { port } = await proxy.listen(0, '127.0.0.1');
  return {
    sshd,
    proxy,
    store,
    audit,
    user: { port, identity: userKey },
    stranger: { port, identity: strangerKey },
    scratch,
    async stop() {
      await proxy.close();
      await sshd.stop();
      rmSync(keys, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
