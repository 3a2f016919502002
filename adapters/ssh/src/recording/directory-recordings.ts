import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { RecordingWriter } from './asciicast-recorder.js';
import type { RecordingInfo } from './recording-options.js';

/**
 * A `recording.open` hook writing one `.cast` file per recorded channel into `directory`,
 * named `<sessionId>-<channel>.cast`, created exclusively and readable by the owner only.
 * `close` resolves once the file is flushed and rejects if any write failed.
 */
export function directoryRecordings(directory: string): (info: RecordingInfo) => Promise<RecordingWriter> {
  return (info) =>
    new Promise((resolve, reject) => {
      const path = join(directory, `${info.sessionId}-${info.channel}.cast`);
      const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      let failure: Error | undefined;
      stream.once('error', (err) => {
        failure = err;
        reject(err);
      });
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
