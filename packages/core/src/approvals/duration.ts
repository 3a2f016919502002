import { InvalidOptionError } from '../errors.js';

// Go's time.ParseDuration units, in milliseconds.
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const WHOLE =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))*$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Milliseconds in a Go-style duration (`45s`, `15m`, `1h30m`, `1.5h`), or undefined when the
 * text is not one. Signs are rejected: every duration in the contract is a length of time.
 * A bare `0` is accepted, as Go does.
 */
export function tryParseDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (text === '0') return 0;
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNITS[unit!]!;
  return Number.isFinite(total) ? total : undefined;
}

/** Like `tryParseDuration`, but throws InvalidOptionError naming `option` when the text is not a duration. */
export function parseDuration(text: string, option = 'duration'): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new InvalidOptionError(
      option,
      `${JSON.stringify(text)} is not a duration such as 45s, 15m or 1h30m`,
    );
  }
  return ms;
}
