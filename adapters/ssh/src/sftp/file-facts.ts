/**
 * File facts for the policy from what an sftp or scp client asks for. SFTP's open flags
 * (SSH_FXF_*, draft-ietf-secsh-filexfer-02 §6.3) say whether an open reads or writes.
 */

import type { FileFacts, FileOpenFlag } from '@portcullis/core';

/** SSH_FXF_* open flags, draft-ietf-secsh-filexfer-02 §6.3. */
export const OpenFlag = {
  read: 0x01,
  write: 0x02,
  append: 0x04,
  create: 0x08,
  truncate: 0x10,
  exclusive: 0x20,
} as const;

/** The facts of an SFTP open: anything but a plain read is a write (create and truncate change the file). */
export function openFacts(path: string, pflags: number): FileFacts {
  const flags = (Object.entries(OpenFlag) as [FileOpenFlag, number][])
    .filter(([, bit]) => (pflags & bit) !== 0)
    .map(([name]) => name);
  const writes = (pflags & ~OpenFlag.read) !== 0;
  return { operation: writes ? 'write' : 'read', path, protocol: 'sftp', flags };
}
