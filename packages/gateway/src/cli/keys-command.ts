import { generateApiKey, hashApiKey } from '../identity/api-key-hash.js';
import { type CliIo, writeLine } from './cli-io.js';

export interface KeysFlags {
  id: string;
  kind?: 'human' | 'agent';
  groups?: string;
  algorithm?: 'scrypt' | 'sha256';
}

/** `portcullis keys generate`: a new static API key, and the identity.api_keys entry holding only its hash. */
export async function runKeysGenerate(flags: KeysFlags, io: CliIo): Promise<number> {
  const key = generateApiKey();
  const groups = (flags.groups ?? '').split(',').filter(Boolean);
  await writeLine(io.stdout, `key (shown once; give it to ${flags.id}): ${key}`);
  await writeLine(io.stdout, 'add to portcullis.yaml under identity.api_keys:');
  await writeLine(io.stdout, `  - id: ${JSON.stringify(flags.id)}`);
  await writeLine(io.stdout, `    kind: ${flags.kind ?? 'agent'}`);
  await writeLine(io.stdout, `    groups: ${JSON.stringify(groups)}`);
  await writeLine(io.stdout, `    hash: ${JSON.stringify(hashApiKey(key, flags.algorithm ?? 'scrypt'))}`);
  return 0;
}
