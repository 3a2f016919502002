/**
 * `recordings.retention`: session recordings last written to before the retention began are
 * deleted at start and every ten minutes, except those being written.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { SWEEP_EVERY_MS, startRecordingsSweeper } from '../src/gateway/recordings-retention.js';
import { startHttpGateway } from './support/http-gateway.js';

const root = mkdtempSync(join(tmpdir(), 'pc-recordings-retention-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3_600_000;

/** A file last written to `ageMs` ago. */
function aged(dir: string, name: string, ageMs: number): void {
  const path = join(dir, name);
  writeFileSync(path, '{"version": 2}\n');
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

describe('startRecordingsSweeper', () => {
  it('deletes recordings past the retention, not open ones, not other files, and sweeps again later', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const dir = join(root, 'unit');
    mkdirSync(dir);
    aged(dir, 'old-1.cast', 48 * HOUR);
    aged(dir, 'new-1.cast', HOUR);
    aged(dir, 'quiet-but-open-1.cast', 48 * HOUR);
    aged(dir, 'notes.txt', 48 * HOUR);
    const open = new Set(['quiet-but-open-1.cast']);
    const swept: string[][] = [];
    const sweeper = startRecordingsSweeper(dir, {
      retentionMs: 24 * HOUR,
      open,
      onSwept: (deleted) => swept.push(deleted),
      onError: (err) => {
        throw err;
      },
    });
    onTestFinished(() => sweeper.stop());
    expect(await sweeper.sweep()).toEqual(['old-1.cast']);
    expect(readdirSync(dir).sort()).toEqual(['new-1.cast', 'notes.txt', 'quiet-but-open-1.cast']);
    // The session ends; the next sweep takes its recording.
    open.delete('quiet-but-open-1.cast');
    vi.advanceTimersByTime(SWEEP_EVERY_MS);
    await vi.waitFor(() => expect(swept).toEqual([['old-1.cast'], ['quiet-but-open-1.cast']]));
    expect(readdirSync(dir).sort()).toEqual(['new-1.cast', 'notes.txt']);
  });
});

describe('recordings.retention', () => {
  const base = {
    resources: [{ type: 'http', name: 'api', listen: { port: 0 }, upstream: { url: 'http://127.0.0.1:1' } }],
  };

  it('keeps every recording unless set; takes a duration', () => {
    expect(validateConfig(base, root).recordings).toMatchObject({ retentionMs: 0 });
    expect(validateConfig({ ...base, recordings: { retention: '720h' } }, root).recordings.retentionMs).toBe(
      720 * HOUR,
    );
    expect(() => validateConfig({ ...base, recordings: { retention: '30d' } }, root)).toThrow(ConfigError);
  });

  it('a gateway deletes recordings past it when it starts', async () => {
    const home = join(root, 'gateway');
    const recordings = join(home, 'recordings');
    mkdirSync(recordings, { recursive: true });
    aged(recordings, 'old-1.cast', 48 * HOUR);
    aged(recordings, 'new-1.cast', HOUR);
    const running = await startHttpGateway({
      home,
      audit: { path: join(home, 'audit.jsonl') },
      recordings: { path: recordings, retention: '24h' },
    });
    onTestFinished(() => running.close());
    await vi.waitFor(() =>
      expect(running.lines.find((l) => l.msg === 'session recordings past retention deleted')).toMatchObject({
        deleted: ['old-1.cast'],
      }),
    );
    expect(readdirSync(recordings)).toEqual(['new-1.cast']);
  });
});
