import type { Subject } from '@portcullis/core';
import type { Logger } from 'pino';
import type { StaticKeyVerifier } from '../identity/static-keys.js';
import type { Credentials } from '../state/credential-rules.js';
import { CREDENTIAL_CLAIM } from './guarded-engine.js';

/**
 * A client logs in with user = its subject id and, as password, either a gateway credential
 * for this resource or a static API key of that subject. The credential's id goes into the
 * subject's claims so each decision re-checks it (see guardEngine).
 */
export function passwordAuthenticator(credentials: Credentials, keys: StaticKeyVerifier, logger: Logger) {
  return async (
    resource: string,
    user: string,
    password: string,
    source: string,
  ): Promise<Subject | null> => {
    // The state store may be PostgreSQL, shared with other gateways: the lookup is async.
    const credential = await credentials.verify(password);
    if (credential) {
      if (credential.subject !== user || credential.resource !== resource) {
        logger.warn({ user, resource, source }, 'credential for another subject or resource');
        return null;
      }
      return {
        id: credential.subject,
        kind: credential.kind,
        groups: credential.groups,
        claims: { [CREDENTIAL_CLAIM]: credential.id },
      };
    }
    const key = keys.verify(password, user);
    if (key) return { id: key.id, kind: key.kind, groups: key.groups, claims: {} };
    logger.info({ user, resource, source }, 'authentication refused');
    return null;
  };
}
