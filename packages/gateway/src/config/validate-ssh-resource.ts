import { isAbsolute, resolve } from 'node:path';
import type { ConfigChecker } from './config-checker.js';
import { listenAt, NAME, secret } from './field-checks.js';
import type { SecretRef, SshAuthorizedKey, SshResourceConfig } from './gateway-config.js';

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const AUTHORIZED_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+=*(\s.*)?$/;

function authorizedKeys(c: ConfigChecker, raw: unknown, path: string): SshAuthorizedKey[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return c.fail(path, 'expected a list of { key, id, kind, groups }');
  const out: SshAuthorizedKey[] = [];
  raw.forEach((entry, i) => {
    const p = `${path}[${i}]`;
    const k = c.object(entry, p);
    if (!k) return;
    c.known(k, p, ['key', 'id', 'kind', 'groups']);
    const key = c.string(k.key, `${p}.key`, {
      pattern: AUTHORIZED_KEY,
      hint: 'a public key as in authorized_keys: "ssh-ed25519 AAAA… [comment]"',
    });
    const id = c.string(k.id, `${p}.id`);
    const kind = k.kind ?? 'human';
    if (kind !== 'human' && kind !== 'agent')
      c.fail(`${p}.kind`, `expected human or agent, got ${JSON.stringify(kind)}`);
    const groups = k.groups === undefined ? [] : c.stringList(k.groups, `${p}.groups`);
    if (key && id && groups && (kind === 'human' || kind === 'agent')) {
      // The comment is not part of the key's identity.
      const [type, blob] = key.split(/\s+/);
      out.push({ key: `${type} ${blob}`, id, kind, groups });
    }
  });
  return out;
}

/** Validates one `type: ssh` resource. */
export function validateSshResource(
  c: ConfigChecker,
  r: Record<string, unknown>,
  path: string,
  baseDir: string,
): SshResourceConfig | undefined {
  c.known(r, path, [
    'name',
    'type',
    'labels',
    'listen',
    'host_keys',
    'authorized_keys',
    'upstream',
    'ciphers',
  ]);
  const name = c.string(r.name, `${path}.name`, { pattern: NAME, hint: 'letters, digits, ".", "_" and "-"' });
  const labels = c.stringMap(r.labels, `${path}.labels`);
  const listen = listenAt(c, r.listen, `${path}.listen`);

  let hostKeys: SecretRef[] | undefined;
  if (!Array.isArray(r.host_keys) || r.host_keys.length === 0)
    c.fail(
      `${path}.host_keys`,
      'expected a list of at least one private host key, as file:/path or env:VARIABLE',
    );
  else {
    const refs = r.host_keys.map((k, i) => secret(c, k, `${path}.host_keys[${i}]`));
    if (refs.every((k) => k !== undefined)) hostKeys = refs as SecretRef[];
  }
  const keys = authorizedKeys(c, r.authorized_keys, `${path}.authorized_keys`);
  let ciphers: string[] | undefined;
  if (r.ciphers !== undefined) {
    ciphers = c.stringList(r.ciphers, `${path}.ciphers`);
    if (ciphers?.length === 0) {
      c.fail(`${path}.ciphers`, 'expected at least one cipher name, such as aes128-gcm@openssh.com');
      ciphers = undefined;
    }
  }

  const up = c.object(r.upstream, `${path}.upstream`);
  if (!up) return undefined;
  c.known(up, `${path}.upstream`, [
    'host',
    'port',
    'user',
    'private_key',
    'passphrase',
    'host_key_fingerprint',
    'known_hosts',
  ]);
  const host = c.string(up.host, `${path}.upstream.host`);
  const port = c.port(up.port, `${path}.upstream.port`, { default: 22 });
  const user = c.string(up.user, `${path}.upstream.user`);
  const privateKey = secret(c, up.private_key, `${path}.upstream.private_key`);
  const passphrase =
    up.passphrase === undefined ? undefined : secret(c, up.passphrase, `${path}.upstream.passphrase`);
  let fingerprints: string[] | undefined;
  if (up.host_key_fingerprint !== undefined) {
    const list =
      typeof up.host_key_fingerprint === 'string' ? [up.host_key_fingerprint] : up.host_key_fingerprint;
    const checked = c.stringList(list, `${path}.upstream.host_key_fingerprint`);
    if (checked?.every((f) => FINGERPRINT.test(f))) fingerprints = checked;
    else if (checked)
      c.fail(
        `${path}.upstream.host_key_fingerprint`,
        'expected SHA256:… as `ssh-keygen -lf` prints it (or a list of them)',
      );
  }
  let knownHosts: string | undefined;
  if (up.known_hosts !== undefined) {
    const text = c.string(up.known_hosts, `${path}.upstream.known_hosts`, {
      hint: 'a known_hosts file path',
    });
    if (text) knownHosts = isAbsolute(text) ? text : resolve(baseDir, text);
  }
  if (up.host_key_fingerprint === undefined && up.known_hosts === undefined)
    c.fail(
      `${path}.upstream`,
      'give host_key_fingerprint (SHA256:…) or known_hosts: the gateway never trusts a host key on first use',
    );

  if (
    !name ||
    !labels ||
    !listen ||
    !hostKeys ||
    !keys ||
    !host ||
    port === undefined ||
    !user ||
    !privateKey
  )
    return undefined;
  if (!fingerprints && !knownHosts) return undefined;
  return {
    type: 'ssh',
    name,
    labels,
    listen,
    hostKeys,
    authorizedKeys: keys,
    ...(ciphers ? { ciphers } : {}),
    upstream: {
      host,
      port,
      user,
      privateKey,
      ...(passphrase ? { passphrase } : {}),
      ...(fingerprints ? { hostKeyFingerprints: fingerprints } : {}),
      ...(knownHosts ? { knownHosts } : {}),
    },
  };
}
