import { InvalidOptionError, UnmaskedTypes } from '@portcullis/core';
import type { ConfigChecker } from './config-checker.js';
import { duration, listenAt, NAME, secret } from './field-checks.js';
import type { HttpResourceConfig, SecretRef } from './gateway-config.js';

/** Header names as RFC 9110 §5.1 allows them (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Validates one `type: http` resource; `r` is the resource's object, its type already checked. */
export function validateHttpResource(
  c: ConfigChecker,
  r: Record<string, unknown>,
  path: string,
): HttpResourceConfig | undefined {
  c.known(r, path, ['name', 'type', 'labels', 'listen', 'upstream', 'on_approve', 'unmasked_types']);
  const name = c.string(r.name, `${path}.name`, { pattern: NAME, hint: 'letters, digits, ".", "_" and "-"' });
  const labels = c.stringMap(r.labels, `${path}.labels`);
  const listen = listenAt(c, r.listen, `${path}.listen`);
  const onApprove = c.string(r.on_approve, `${path}.on_approve`, {
    default: 'hold',
    pattern: /^(hold|accept)$/,
    hint: 'hold (wait up to approvals.wait) or accept (answer 202 at once)',
  }) as HttpResourceConfig['onApprove'] | undefined;
  let unmaskedTypes: string[] | undefined = [];
  if (r.unmasked_types !== undefined) {
    unmaskedTypes = c.stringList(r.unmasked_types, `${path}.unmasked_types`);
    try {
      if (unmaskedTypes) new UnmaskedTypes(unmaskedTypes, `${path}.unmasked_types`);
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err;
      unmaskedTypes = c.fail(err.option, err.message.slice(`invalid option ${err.option}: `.length));
    }
  }
  const up = c.object(r.upstream, `${path}.upstream`);
  if (!up) return undefined;
  c.known(up, `${path}.upstream`, ['url', 'headers', 'timeout']);
  let url = c.url(up.url, `${path}.upstream.url`, true);
  if (url !== undefined) {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '')
      url = c.fail(
        `${path}.upstream.url`,
        'must carry no credentials, query or fragment (put secrets in upstream.headers)',
      );
  }
  const timeout = duration(c, up.timeout, `${path}.upstream.timeout`, '30s');
  const headers: Record<string, SecretRef> = {};
  let headersOk = true;
  if (up.headers !== undefined) {
    const h = c.object(up.headers, `${path}.upstream.headers`);
    if (!h) headersOk = false;
    for (const [header, value] of Object.entries(h ?? {})) {
      if (!HEADER_NAME.test(header)) {
        c.fail(`${path}.upstream.headers`, `${JSON.stringify(header)} is not a header name`);
        headersOk = false;
        continue;
      }
      // Upstream headers are usually credentials (an API token): read like every other secret.
      const ref = secret(c, value, `${path}.upstream.headers.${header}`);
      // defineProperty, so a header named __proto__ is a header and not a prototype.
      if (ref)
        Object.defineProperty(headers, header.toLowerCase(), {
          value: ref,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else headersOk = false;
    }
  }
  if (!name || !labels || !listen || !onApprove || !url || !timeout || !headersOk || !unmaskedTypes)
    return undefined;
  return {
    type: 'http',
    name,
    labels,
    listen,
    onApprove,
    unmaskedTypes,
    upstream: { url, headers, timeoutMs: timeout[1] },
  };
}
