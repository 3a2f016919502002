/**
 * The two regex engines a masker can run. Operator-supplied patterns always run on RE2, whose
 * matching time is linear in the input, so no pattern in a policy can stall the process. The
 * built-in detectors are written in the syntax both engines share (no lookaround, no
 * backreferences; classes of ASCII and of BMP characters written as themselves, which RE2
 * reads as code points and JavaScript as UTF-16 units alike) so the benchmark can compare
 * them on equal terms.
 */

import RE2 from 're2';

export type RegexEngine = 're2' | 'js';

export const REGEX_ENGINES: readonly RegexEngine[] = ['re2', 'js'];

/** A global regex, scanned with `lastIndex` + `exec` (RE2 objects implement the RegExp surface). */
export type ScanRegex = Pick<RegExp, 'exec' | 'lastIndex' | 'source'>;

export function compileRegex(source: string, engine: RegexEngine, flags = ''): ScanRegex {
  const all = flags.includes('g') ? flags : flags + 'g';
  return engine === 're2' ? new RE2(source, all) : new RegExp(source, all);
}
