/**
 * A minimal tar reader for OPA bundles (`opa build` writes gzip'd ustar): regular files only,
 * with GNU long names (`L`) and pax `path` records, which is everything bundle writers emit.
 */
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function field(block: Uint8Array, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function octal(block: Uint8Array, offset: number, length: number): number {
  const text = field(block, offset, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function paxPath(data: Uint8Array): string | undefined {
  // Records are "<length> <key>=<value>\n".
  for (const line of decoder.decode(data).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(line);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/** The most a gzip'd archive may unpack to by default: a bundle is a policy, not a data dump. */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/**
 * The regular files of a tar archive, gzip'd or not. A gzip'd archive that would unpack to
 * more than `maxUnpackedBytes` throws before that memory is taken (a small download can
 * inflate a thousandfold).
 */
export function readTar(archive: Uint8Array, maxUnpackedBytes = MAX_UNPACKED_BYTES): TarEntry[] {
  let bytes = archive;
  if (archive[0] === 0x1f && archive[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(archive, { maxOutputLength: maxUnpackedBytes }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new Error(`the archive unpacks to more than ${maxUnpackedBytes} bytes`);
      throw err;
    }
  }
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const magic = field(header, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(header, 345, 155) : '';
    const name = field(header, 0, 100);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) throw new Error('truncated tar archive');
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type !== '0' && type !== '\0') {
      longName = undefined;
      continue;
    }
    const path = longName ?? (prefix === '' ? name : `${prefix}/${name}`);
    longName = undefined;
    entries.push({ path, data });
  }
  return entries;
}
