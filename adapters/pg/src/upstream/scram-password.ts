import saslprep from '@mongodb-js/saslprep';

/**
 * The string SCRAM-SHA-256 hashes for `password`, as PostgreSQL and libpq compute it: the
 * password after SASLprep (RFC 4013: non-ASCII spaces mapped to a space, characters "commonly
 * mapped to nothing" such as the soft hyphen removed, NFKC normalisation, so `Ⅸ` is `IX`);
 * or the password as given when SASLprep refuses it (a prohibited or unassigned character,
 * mixed text directions, nothing left after mapping), which is what both do then too. An
 * ASCII password is itself. PostgreSQL checks for prohibited characters before normalising
 * and RFC 4013 (and this) after: they differ only on the few characters NFKC moves in or out
 * of those tables (the deprecated tone marks U+0340 and U+0341, say).
 */
export function scramPassword(password: string): string {
  if (/^[\u0000-\u007f]*$/.test(password)) return password;
  try {
    const prepared = saslprep(password);
    return prepared === '' ? password : prepared;
  } catch {
    return password;
  }
}
