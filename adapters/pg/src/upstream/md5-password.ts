import { createHash } from 'node:crypto';

/** PostgreSQL's MD5 password response: `md5` + md5(md5(password + user) + salt), in hex. */
export function md5PasswordResponse(user: string, password: string, salt: Uint8Array): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return 'md5' + createHash('md5').update(inner).update(salt).digest('hex');
}
