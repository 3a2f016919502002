import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeyFingerprint, normalizeFingerprint } from './host-key-fingerprint.js';

describe('hostKeyFingerprint', () => {
  it('matches what ssh-keygen -lf prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-fp-'));
    try {
      const file = join(dir, 'k');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
      const blob = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1] ?? '', 'base64');
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
        .toString()
        .split(' ')[1];
      expect(hostKeyFingerprint(blob)).toBe(printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('normalizes padding and a missing prefix', () => {
    expect(normalizeFingerprint('abc=')).toBe('SHA256:abc');
    expect(normalizeFingerprint('SHA256:abc')).toBe('SHA256:abc');
  });
});
