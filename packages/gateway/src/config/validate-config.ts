import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { isApiKeyHash } from '../identity/api-key-hash.js';
import { ConfigChecker } from './config-checker.js';
import { byteSize, duration, retention } from './field-checks.js';
import type {
  ApiKeyConfig,
  GatewayConfig,
  LogLevel,
  OidcConfig,
  PolicyConfig,
  ResourceConfig,
} from './gateway-config.js';
import { validateCredentials } from './validate-credentials.js';
import { policySigning } from './validate-policy-signing.js';
import { validateResource } from './validate-resource.js';
import { remoteBundlePolicy, validateState } from './validate-state.js';

const DEFAULT_ENTRYPOINT = 'portcullis/decision';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function policy(c: ConfigChecker, raw: unknown, base: string): PolicyConfig | undefined {
  const p = c.object(raw, 'policy');
  if (!p) return undefined;
  c.known(p, 'policy', ['rego', 'wasm', 'bundle', 'entrypoint', 'polling', 'signing']);
  const kinds = (['rego', 'wasm', 'bundle'] as const).filter((k) => p[k] !== undefined);
  if (kinds.length !== 1)
    return c.fail(
      'policy',
      'give exactly one of rego (a directory), wasm (a .wasm file) or bundle (a .tar.gz)',
    );
  const kind = kinds[0]!;
  const entrypoint = c.string(p.entrypoint, 'policy.entrypoint', { default: DEFAULT_ENTRYPOINT });
  if (p.signing !== undefined && kind !== 'bundle')
    return c.fail(
      'policy.signing',
      'applies only to a bundle (policy.bundle), which carries .signatures.json',
    );
  const signing = p.signing === undefined ? undefined : policySigning(c, p.signing);
  const signed = signing ? { signing } : {};
  if (typeof p[kind] === 'string' && /^https?:\/\//.test(p[kind] as string)) {
    if (kind !== 'bundle') return c.fail(`policy.${kind}`, 'only a bundle can be fetched from a URL');
    const remote =
      entrypoint === undefined ? undefined : remoteBundlePolicy(c, p.bundle as string, p.polling, entrypoint);
    return remote && { ...remote, ...signed };
  }
  if (p.polling !== undefined)
    c.fail('policy.polling', 'applies only to a bundle URL (policy.bundle: https://…)');
  const path = c.string(p[kind], `policy.${kind}`, { hint: 'a path, relative to the config file' });
  if (!path || !entrypoint) return undefined;
  return kind === 'bundle'
    ? { kind, path: resolve(base, path), entrypoint, ...signed }
    : { kind, path: resolve(base, path), entrypoint };
}

function oidc(c: ConfigChecker, raw: unknown): OidcConfig | undefined {
  const o = c.object(raw, 'identity.oidc', false);
  if (!o) return undefined;
  c.known(o, 'identity.oidc', ['issuer', 'audience', 'claims', 'clock_tolerance']);
  const issuer = c.url(o.issuer, 'identity.oidc.issuer', true);
  const audience = c.string(o.audience, 'identity.oidc.audience', {
    hint: 'the audience access tokens carry',
  });
  const claims = c.object(o.claims ?? {}, 'identity.oidc.claims');
  const tolerance = duration(c, o.clock_tolerance, 'identity.oidc.clock_tolerance', '30s');
  if (!claims) return undefined;
  c.known(claims, 'identity.oidc.claims', ['subject', 'groups', 'kind', 'agent_values']);
  const subject = c.string(claims.subject, 'identity.oidc.claims.subject', { default: 'sub' });
  const groups = c.string(claims.groups, 'identity.oidc.claims.groups', { default: 'groups' });
  const kind = c.string(claims.kind, 'identity.oidc.claims.kind', { default: 'portcullis_kind' });
  const agentValues =
    claims.agent_values === undefined
      ? ['agent']
      : c.stringList(claims.agent_values, 'identity.oidc.claims.agent_values');
  if (!issuer || !audience || !subject || !groups || !kind || !agentValues || !tolerance) return undefined;
  return {
    issuer,
    audience,
    claims: { subject, groups, kind: { claim: kind, agentValues } },
    clockToleranceMs: tolerance[1],
  };
}

function apiKeys(c: ConfigChecker, raw: unknown): ApiKeyConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    c.fail('identity.api_keys', 'expected a list of { id, kind, groups, hash }');
    return [];
  }
  const out: ApiKeyConfig[] = [];
  raw.forEach((entry, i) => {
    const path = `identity.api_keys[${i}]`;
    const k = c.object(entry, path);
    if (!k) return;
    c.known(k, path, ['id', 'kind', 'groups', 'hash']);
    const id = c.string(k.id, `${path}.id`);
    const kind = k.kind ?? 'agent';
    if (kind !== 'human' && kind !== 'agent')
      c.fail(`${path}.kind`, `expected human or agent, got ${JSON.stringify(kind)}`);
    const groups = c.stringList(k.groups, `${path}.groups`);
    let hash: string | undefined;
    if (typeof k.hash !== 'string' || !isApiKeyHash(k.hash))
      c.fail(
        `${path}.hash`,
        'expected scrypt$… or sha256$… as printed by `portcullis keys generate` (never the key itself)',
      );
    else hash = k.hash;
    if (id && groups && hash && (kind === 'human' || kind === 'agent')) out.push({ id, kind, groups, hash });
  });
  return out;
}

function path(
  c: ConfigChecker,
  value: unknown,
  field: string,
  fallback: string,
  base: string,
): string | undefined {
  const text = c.string(value, field, {
    default: fallback,
    hint: 'a file path, relative to the config file',
  });
  return text === undefined ? undefined : isAbsolute(text) ? text : resolve(base, text);
}

/**
 * Validates a parsed portcullis.yaml. Every problem is collected; a ConfigError lists them
 * all, each with the field's path and what is expected. Secrets are only referenced here,
 * never read: `resolveSecret` reads them when the gateway starts.
 */
export function validateConfig(doc: unknown, baseDir: string): GatewayConfig {
  const c = new ConfigChecker();
  const root = c.object(doc ?? {}, '') ?? {};
  c.known(root, '', [
    'version',
    'server',
    'resources',
    'policy',
    'identity',
    'state',
    'audit',
    'approvals',
    'credentials',
    'recordings',
    'log',
  ]);
  if (root.version !== undefined && root.version !== 1)
    c.fail('version', `expected 1, got ${JSON.stringify(root.version)}`);

  const server = c.object(root.server ?? {}, 'server') ?? {};
  c.known(server, 'server', ['listen']);
  const serverListen = c.object(server.listen ?? {}, 'server.listen') ?? {};
  c.known(serverListen, 'server.listen', ['host', 'port']);
  const serverHost = c.string(serverListen.host, 'server.listen.host', { default: '127.0.0.1' });
  const serverPort = c.port(serverListen.port, 'server.listen.port', { default: 8080, listen: true });

  const resources: ResourceConfig[] = [];
  if (!Array.isArray(root.resources) || root.resources.length === 0) {
    c.fail('resources', 'expected a list with at least one resource ({ name, labels, listen, upstream })');
  } else {
    root.resources.forEach((r, i) => {
      const out = validateResource(c, r, `resources[${i}]`, baseDir);
      if (out) resources.push(out);
    });
    const seen = new Map<string, number>();
    resources.forEach((r, i) => {
      const first = seen.get(r.name);
      if (first !== undefined)
        c.fail(
          `resources[${i}].name`,
          `"${r.name}" is already used by resources[${first}]; names must be unique`,
        );
      seen.set(r.name, i);
    });
    const ports = new Map<string, string>();
    for (const r of resources) {
      const key = `${r.listen.host}:${r.listen.port}`;
      if (r.listen.port !== 0 && ports.has(key))
        c.fail(
          `resources.${r.name}.listen`,
          `${key} is also the listener of ${ports.get(key)}; give each resource its own port`,
        );
      ports.set(key, r.name);
    }
  }

  const pol = policy(c, root.policy ?? { rego: 'rego' }, baseDir);

  const identity = c.object(root.identity ?? {}, 'identity') ?? {};
  c.known(identity, 'identity', ['oidc', 'api_keys']);
  const oidcConfig = oidc(c, identity.oidc);
  const keys = apiKeys(c, identity.api_keys);

  const state = validateState(c, root.state, baseDir);

  const audit = c.object(root.audit ?? {}, 'audit') ?? {};
  c.known(audit, 'audit', ['path', 'fsync', 'rotate_size', 'index_retention']);
  const auditPath = path(c, audit.path, 'audit.path', './.portcullis/audit.jsonl', baseDir);
  const fsync = c.boolean(audit.fsync, 'audit.fsync', false);
  const indexRetention = retention(c, audit.index_retention, 'audit.index_retention', '2160h');
  const rotateBytes = byteSize(c, audit.rotate_size, 'audit.rotate_size', 0);

  const log = c.object(root.log ?? {}, 'log') ?? {};
  c.known(log, 'log', ['level']);
  const level = c.string(log.level, 'log.level', { default: 'info' });
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel))
    c.fail('log.level', `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);

  const recordings = c.object(root.recordings ?? {}, 'recordings') ?? {};
  c.known(recordings, 'recordings', ['path', 'retention']);
  const recordingsPath = path(c, recordings.path, 'recordings.path', './.portcullis/recordings', baseDir);
  const recordingsRetention = retention(c, recordings.retention, 'recordings.retention', '0');

  const approvals = c.object(root.approvals ?? {}, 'approvals') ?? {};
  c.known(approvals, 'approvals', ['wait', 'ttl', 'webhook', 'public_url']);
  const wait = duration(c, approvals.wait, 'approvals.wait', '5m');
  const ttl = duration(c, approvals.ttl, 'approvals.ttl', '1h');
  const webhook = c.url(approvals.webhook, 'approvals.webhook', false);
  const publicUrl = c.url(approvals.public_url, 'approvals.public_url', false);

  const credentials = validateCredentials(c, root.credentials);

  if (c.issues.length > 0) throw new ConfigError(c.issues);
  return {
    baseDir,
    server: { host: serverHost!, port: serverPort! },
    resources,
    policy: pol!,
    identity: { apiKeys: keys, ...(oidcConfig ? { oidc: oidcConfig } : {}) },
    ...(credentials ? { credentials } : {}),
    state: state!,
    audit: {
      path: auditPath!,
      fsync: fsync!,
      rotateBytes: rotateBytes!,
      indexRetention: indexRetention![0],
      indexRetentionMs: indexRetention![1],
    },
    recordings: {
      path: recordingsPath!,
      retention: recordingsRetention![0],
      retentionMs: recordingsRetention![1],
    },
    log: { level: level as LogLevel },
    approvals: {
      wait: wait![0],
      waitMs: wait![1],
      ttl: ttl![0],
      ttlMs: ttl![1],
      ...(webhook ? { webhook } : {}),
      ...(publicUrl ? { publicUrl } : {}),
    },
  };
}
