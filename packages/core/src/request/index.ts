/** Requests from adapters and the CLI, and the input document built from them. */

export {
  type BuildInputOptions,
  type BuiltInput,
  buildInput,
  buildInputDocument,
  loadDefaultFactExtractors,
} from './build-input-document.js';
export type { FactExtractors } from './fact-extractors.js';
export { formatTime } from './format-time.js';
export {
  ACTION_TYPES,
  FILE_OPERATIONS,
  type NormalizedRequest,
  normalizeRequest,
  RESOURCE_TYPES,
  SQL_DIALECTS,
  SUBJECT_KINDS,
} from './normalize-request.js';
export { parseRequestLine } from './parse-request-line.js';
export type { PolicyRequest } from './policy-request.js';
