/**
 * Masking for @portcullis/core: detectors for common secrets and personal data, the mask
 * strategies of the decision contract, and a masker for values, text, result rows, JSON
 * documents and chunked streams. Every operator-supplied pattern runs on RE2.
 */

export type { BodyMaskErrors } from './body-mask-errors.js';
export { BodyMasker } from './body-masker.js';
export { type BodyHeaders, type BodyPlan, isTextualEssence, planResponseBody } from './body-plan.js';
export type { ColumnDescriptor } from './column-match.js';
export {
  DETECTOR_NAMES,
  type DetectOptions,
  type Detector,
  type DetectorMatch,
  detect,
  detectors,
} from './detectors.js';
export {
  maskHeaderField,
  maskHeaderRecord,
  maskHeaderValue,
  maskStatusText,
  masksHeaders,
  STRUCTURAL_RESPONSE_HEADERS,
} from './header-masking.js';
export { ibanValid } from './iban.js';
export { luhnValid } from './luhn.js';
export { type MaskedSpan, type MaskStream, type SpanMaskStream, toTransformStream } from './mask-stream.js';
export { createMasker, type Masker, type MaskerOptions, MIN_HASH_KEY_BYTES } from './masker.js';
export { MaskerCache, type MaskingOptions } from './masker-cache.js';
export type { RegexEngine } from './regex-engine.js';
export { PATTERN_SPAN_CAP } from './rules.js';
export { DEFAULT_KEEP, MASK_STRATEGIES, MAX_KEEP, REDACTED } from './strategies.js';
export { UNMASKED_BODY_REQUEST_HEADERS, UNMASKED_BODY_RESPONSE_HEADERS } from './unmasked-body-headers.js';
export { UnmaskedTypes } from './unmasked-types.js';
