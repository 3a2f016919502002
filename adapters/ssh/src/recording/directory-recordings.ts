import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { RecordingWriter } from './asciicast-recorder.js';
import type { RecordingInfo } from './recording-options.js';

export interface DirectoryRecordingsOptions {
  /**
   * The names of the files being written, kept up to date: a retention sweep of the
   * directory leaves these alone, however long ago they were last written to.
   */
  open?: Set<string>;
}

/**
 * A `recording.open` hook writing one `.cast` file per recorded channel into `directory`,
 * named `<sessionId>-<channel>.cast`, created exclusively and readable by the owner only.
 * `close` resolves once the file is flushed and rejects if any write failed.
 */
export function directoryRecordings(
  directory: string,
  options: DirectoryRecordingsOptions = {},
): (info: RecordingInfo) => Promise<RecordingWriter> {
  return (info) =>
    new Promise((resolve, reject) => {
      const name = `${info.sessionId}-${info.channel}.cast`;
      const stream = createWriteStream(join(directory, name), { flags: 'wx', mode: 0o600 });
      options.open?.add(name);
      let failure: Error | undefined;
      stream.once('error', (err) => {
        failure = err;
        // A file that could not be opened is not being written; one whose write failed is done.
        if (stream.pending) options.open?.delete(name);
        reject(err);
      });
      stream.once('close', () => options.open?.delete(name));
      stream.once('open', () => {
        resolve({
          write(line) {
            if (!failure && stream.writable) stream.write(`${line}\n`);
          },
          close() {
            return new Promise((done, fail) => {
              if (failure) return fail(failure);
              stream.end(() => (failure ? fail(failure) : done()));
            });
          },
        });
      });
    });
}
