/**
 * Flags as a policy wants to match them: `-rf` becomes `-r` and `-f`, `--output=x` becomes
 * `--output`, and nothing after `--` is a flag. Programs such as find spell their long
 * options with one dash, so those are kept whole.
 */

export type FlagStyle = 'getopt' | 'single-dash-long';

/** Programs whose options are whole words after a single dash (`find -delete`, `-exec`). */
const SINGLE_DASH_LONG = new Set(['find']);

export function flagStyleFor(program: string): FlagStyle {
  return SINGLE_DASH_LONG.has(program) ? 'single-dash-long' : 'getopt';
}

export function extractFlags(args: readonly string[], style: FlagStyle = 'getopt'): string[] {
  const flags = new Set<string>();
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.length < 2 || arg[0] !== '-') continue;
    if (arg[1] === '-') {
      const eq = arg.indexOf('=');
      flags.add(eq === -1 ? arg : arg.slice(0, eq));
    } else if (style === 'single-dash-long') {
      flags.add(arg);
    } else {
      // Stop at the first character that cannot be an option letter: the rest is an attached
      // value (`-o/dev/sda`), not more flags.
      for (const ch of arg.slice(1)) {
        if (!/[A-Za-z0-9]/.test(ch)) break;
        flags.add('-' + ch);
      }
    }
  }
  return [...flags];
}
