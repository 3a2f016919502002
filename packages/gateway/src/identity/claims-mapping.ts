import { TokenError } from '../errors.js';
import type { Identity } from './identity.js';

/** Which claims say who the caller is: the shape of `identity.oidc.claims`. */
export interface ClaimsMapping {
  /** Default `sub`. */
  subject: string;
  /** Default `groups`. */
  groups: string;
  kind: { claim: string; agentValues: string[] };
}

export const DEFAULT_CLAIMS: ClaimsMapping = {
  subject: 'sub',
  groups: 'groups',
  kind: { claim: 'portcullis_kind', agentValues: ['agent'] },
};

/**
 * A claim by name; a dotted name reaches into objects (`realm_access.roles` in Keycloak)
 * unless the token has a top-level claim with the dotted name itself.
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Maps a verified token's claims to an Identity. A claim that is present but of the wrong
 * shape refuses the token rather than being ignored: a groups claim the gateway cannot read
 * would otherwise silently drop group-based rules.
 */
export function identityFromClaims(claims: Record<string, unknown>, mapping: ClaimsMapping): Identity {
  const id = claimAt(claims, mapping.subject);
  if (typeof id !== 'string' || id.trim() === '')
    throw new TokenError(`the token has no subject claim ${JSON.stringify(mapping.subject)}`, {
      reason: 'claims',
    });

  const rawGroups = claimAt(claims, mapping.groups);
  let groups: string[];
  if (rawGroups === undefined || rawGroups === null) groups = [];
  else if (typeof rawGroups === 'string') groups = [rawGroups];
  else if (Array.isArray(rawGroups) && rawGroups.every((g) => typeof g === 'string'))
    groups = [...new Set(rawGroups as string[])];
  else
    throw new TokenError(`the token's ${JSON.stringify(mapping.groups)} claim is not a list of strings`, {
      reason: 'claims',
    });

  const rawKind = claimAt(claims, mapping.kind.claim);
  const kinds = Array.isArray(rawKind) ? rawKind : [rawKind];
  const agent = kinds.some((k) => typeof k === 'string' && mapping.kind.agentValues.includes(k));
  return { id, kind: agent ? 'agent' : 'human', groups, via: 'oidc' };
}
