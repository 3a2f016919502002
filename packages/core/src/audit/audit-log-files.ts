import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** Digits of the sequence number in a rotated file's name, so that names sort as the chain runs. */
const SEQ_DIGITS = 12;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function parts(path: string): { dir: string; stem: string; ext: string } {
  const ext = extname(path);
  return { dir: dirname(path), stem: basename(path, ext), ext };
}

/**
 * Where a log rotated out goes: beside it, named by the seq of its first record
 * (`audit.jsonl` holding records from 120001 on becomes `audit.000000120001.jsonl`).
 */
export function rotatedAuditLogName(path: string, firstSeq: number): string {
  const { dir, stem, ext } = parts(path);
  return join(dir, `${stem}.${String(firstSeq).padStart(SEQ_DIGITS, '0')}${ext}`);
}

/**
 * The files rotated out of the log at `path`, oldest first, with the seq each starts at.
 * The log itself (the file at `path`) continues the newest of them.
 */
export async function rotatedAuditLogs(path: string): Promise<{ path: string; firstSeq: number }[]> {
  const { dir, stem, ext } = parts(path);
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.(\\d{${SEQ_DIGITS},})${escapeRegExp(ext)}$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: { path: string; firstSeq: number }[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) found.push({ path: join(dir, name), firstSeq: Number(match[1]) });
  }
  return found.sort((a, b) => a.firstSeq - b.firstSeq);
}
