import { isJsonContentType } from '../http/index.js';
import type { BodyMaskErrors } from './body-mask-errors.js';
import type { Masker } from './masker.js';
import type { UnmaskedTypes } from './unmasked-types.js';

/**
 * How a response body is masked: `document` (JSON: parsed whole, so JSONPath masks apply),
 * `text` (streamed through the detector and pattern scanners), `events` and `lines` (text
 * made of messages: server-sent events, which end at a blank line, and JSON lines; each
 * message is masked and sent once it is whole, and JSONPath masks apply to each line, and to
 * each event's data when it is JSON), or `pass` (nothing to do).
 */
export type BodyPlan = 'pass' | 'document' | 'text' | 'events' | 'lines';

/** Content types whose messages are lines (NDJSON, JSON Lines). */
const LINE_ESSENCE = new Set(['application/x-ndjson', 'application/jsonl', 'application/jsonlines']);

export interface BodyHeaders {
  contentType: string | null;
  /** The coding of the bytes the masker will see (null or identity when already decoded). */
  contentEncoding: string | null;
}

// Any `+xml` type is XML text, an SVG image (`image/svg+xml`) among them: it can hold an
// address as well as any page can.
const TEXT_ESSENCE =
  /^(?:text\/.+|application\/(?:xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|jsonl|jsonlines|graphql)|[^/]+\/[^/]+\+xml)$/;
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** Whether a content type's essence (lower-cased, no parameters) is text the masks read. */
export function isTextualEssence(essence: string): boolean {
  return isJsonContentType(essence) || TEXT_ESSENCE.test(essence);
}

/**
 * Throws `errors.unenforceable(…)` when the rules cannot be enforced on such a body. A body
 * that is not text, which detectors and patterns cannot read, is refused unless its type is
 * one the operator listed in `unmasked` (`image/*`, `application/pdf`): that passes as it is.
 */
export function planResponseBody(
  masker: Masker,
  headers: BodyHeaders,
  errors: BodyMaskErrors,
  unmasked?: UnmaskedTypes,
): BodyPlan {
  if (!masker.hasRules) return 'pass';
  const hasPaths = masker.rules.some((r) => 'path' in r);
  const hasScanners = masker.rules.some((r) => 'detector' in r || 'pattern' in r);
  if (!hasPaths && !hasScanners) return 'pass';
  const { contentType } = headers;
  const json = isJsonContentType(contentType);
  const essence = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  // Messages that carry JSON: JSON lines, and server-sent events whose data is JSON.
  const framedJson = essence === 'text/event-stream' || LINE_ESSENCE.has(essence);
  // No content type means we cannot know it is binary: scan it as text rather than let it by.
  const textual = contentType === null || isTextualEssence(essence);
  if (!textual) {
    if (!hasScanners || unmasked?.has(essence)) return 'pass';
    throw errors.unenforceable(`cannot mask a ${essence} response`);
  }
  if (!json && !framedJson && !hasScanners) return 'pass';
  const coding = headers.contentEncoding?.trim().toLowerCase();
  if (coding && coding !== 'identity') {
    throw errors.unenforceable(`cannot mask a ${coding}-encoded response`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
    throw errors.unenforceable(`cannot mask a response in charset ${charset}`);
  }
  if (json) return 'document';
  if (essence === 'text/event-stream') return 'events';
  return LINE_ESSENCE.has(essence) ? 'lines' : 'text';
}
