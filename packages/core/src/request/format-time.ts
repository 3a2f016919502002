/** RFC 3339 in UTC, whole seconds written without a fraction (`2026-11-25T21:00:00Z`). */
export function formatTime(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

let lastMs = Number.NaN;
let lastText = '';

/**
 * `formatTime(new Date(ms))`, remembering the last answer: every decision made within the
 * same millisecond (many, under load) shares one string instead of formatting it twice each.
 */
export function formatEpochMs(ms: number): string {
  if (ms === lastMs) return lastText;
  const text = formatTime(new Date(ms));
  lastMs = ms;
  lastText = text;
  return text;
}

// RFC 3339 date-time: a full date, a time, and an explicit offset (no local times).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(text: string): Date | undefined {
  if (!RFC3339.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
