import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { directoryRecordings } from './directory-recordings.js';
import type { RecordingInfo } from './recording-options.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-directory-recordings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const info = (sessionId: string): RecordingInfo => ({
  sessionId,
  channel: 1,
  kind: 'shell',
  subject: 'alice',
  resource: 'box',
  startedAt: '2026-11-27T03:00:00Z',
});

describe('directoryRecordings', () => {
  it('writes a file per channel, owner-only, and keeps the names being written in `open`', async () => {
    const open = new Set<string>();
    const files = directoryRecordings(dir, { open });
    const writer = await files(info('s-1'));
    expect([...open]).toEqual(['s-1-1.cast']);
    writer.write('{"version": 2}');
    await writer.close();
    await vi.waitFor(() => expect(open.size).toBe(0));
    expect(readFileSync(join(dir, 's-1-1.cast'), 'utf8')).toBe('{"version": 2}\n');
    expect(statSync(join(dir, 's-1-1.cast')).mode & 0o777).toBe(0o600);
    // A name already taken is refused, and not left in `open`.
    await expect(files(info('s-1'))).rejects.toThrow(/EEXIST/);
    expect(open.size).toBe(0);
  });
});
