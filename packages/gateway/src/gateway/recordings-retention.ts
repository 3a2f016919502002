import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startPeriodicTask } from './periodic-task.js';

/** How often the recordings directory is swept. */
export const SWEEP_EVERY_MS = 10 * 60_000;

export interface RecordingsSweeperOptions {
  /** Recordings last written to longer ago than this are deleted. */
  retentionMs: number;
  /** Names of recordings being written now: never deleted, however quiet. */
  open: ReadonlySet<string>;
  clock?: () => number;
  everyMs?: number;
  onSwept?: (deleted: string[]) => void;
  onError: (err: unknown) => void;
}

export interface RecordingsSweeper {
  /** Sweeps now (or joins the sweep under way); resolves with the names deleted. */
  sweep(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Keeps the session recordings directory to `recordings.retention`: every `.cast` file last
 * written to before the retention began is deleted, at start and every ten minutes, except
 * those being written (a session quiet for longer than the retention is still recording).
 * Other files in the directory are not touched.
 */
export function startRecordingsSweeper(
  directory: string,
  options: RecordingsSweeperOptions,
): RecordingsSweeper {
  const clock = options.clock ?? Date.now;
  const task = startPeriodicTask(
    async (stopped) => {
      const before = clock() - options.retentionMs;
      const deleted: string[] = [];
      for (const name of await readdir(directory)) {
        if (stopped()) break;
        if (!name.endsWith('.cast') || options.open.has(name)) continue;
        const path = join(directory, name);
        try {
          const info = await stat(path);
          if (!info.isFile() || info.mtimeMs >= before || options.open.has(name)) continue;
          await unlink(path);
          deleted.push(name);
        } catch (err) {
          // Gone meanwhile (another gateway on the same directory): nothing to do.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      if (deleted.length > 0) options.onSwept?.(deleted);
      return deleted;
    },
    options.everyMs ?? SWEEP_EVERY_MS,
    options.onError,
  );
  return { sweep: task.run, stop: task.stop };
}
