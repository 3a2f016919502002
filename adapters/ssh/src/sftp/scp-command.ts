/**
 * The legacy scp protocol (`scp -O`, and every scp before OpenSSH 9): the client runs
 * `scp -f <path>…` (send me these files) or `scp -t <path>` (take files into this path) as an
 * exec request and speaks the rcp protocol over stdin/stdout. Such a line is decided as file
 * reads or a file write of its paths rather than as a shell command, so the same file rules
 * govern sftp and scp. Anything that only looks like it (more commands, redirections,
 * wrappers, unknown options) is refused: it would otherwise reach the host as a command the
 * file rules never saw.
 */

import { extractShellFacts, type FileFacts } from '@portcullis/core';

export type ScpRequest =
  | { kind: 'not-scp' }
  | { kind: 'scp'; files: FileFacts[] }
  | { kind: 'malformed'; reason: string };

/** Options OpenSSH's scp passes to the remote scp: -d (target is a directory), -f, -p, -r, -t, -v. */
const OPTION_WORD = /^-[dfprtv]+$/;

export async function parseScpCommand(command: string): Promise<ScpRequest> {
  if (!/\bscp\b/.test(command)) return { kind: 'not-scp' };
  const facts = await extractShellFacts(command);
  const scps = facts.commands.filter(
    (c) => c.program === 'scp' && c.args.some((a) => /^-[a-zA-Z]*[ft]/.test(a)),
  );
  if (scps.length === 0) return { kind: 'not-scp' };
  const malformed = (reason: string): ScpRequest => ({ kind: 'malformed', reason });
  const only = facts.commands[0];
  if (
    !facts.parsed ||
    facts.commands.length !== 1 ||
    !only ||
    only.program !== 'scp' ||
    only.via.length > 0 ||
    only.background ||
    Object.keys(only.assignments).length > 0 ||
    facts.redirects.length > 0 ||
    facts.substitutions ||
    facts.opaque.length > 0
  ) {
    return malformed('an scp transfer must be the whole command line: `scp -f|-t [-dprv] [--] path…`');
  }
  const options = new Set<string>();
  const paths: string[] = [];
  let endOfOptions = false;
  for (const arg of only.args) {
    if (!endOfOptions && arg === '--') endOfOptions = true;
    else if (!endOfOptions && arg.startsWith('-')) {
      if (!OPTION_WORD.test(arg)) return malformed(`scp option ${arg} is not one the proxy knows`);
      for (const letter of arg.slice(1)) options.add(letter);
    } else {
      endOfOptions = true;
      paths.push(arg);
    }
  }
  const from = options.has('f');
  const to = options.has('t');
  if (from === to) return malformed('scp needs exactly one of -f (download) and -t (upload)');
  if (paths.length === 0) return malformed('scp names no path');
  if (to && paths.length !== 1) return malformed('scp -t takes exactly one path');
  const files = paths.map(
    (path): FileFacts =>
      from
        ? { operation: 'read', path, protocol: 'scp', flags: ['read'] }
        : { operation: 'write', path, protocol: 'scp', flags: ['write', 'create', 'truncate'] },
  );
  return { kind: 'scp', files };
}
