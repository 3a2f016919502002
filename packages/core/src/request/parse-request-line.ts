import { InvalidRequestError } from '../errors.js';
import { normalizeRequest } from './normalize-request.js';
import type { PolicyRequest } from './policy-request.js';

/**
 * One line of the JSON-lines request format read by `portcullis facts --jsonl` and
 * `portcullis eval`: `{"subject":{…},"resource":{…},"sql"|"command"|"http":…}`. The line is
 * checked as `buildInputDocument` would check it, so a bad line is reported with its field.
 */
export function parseRequestLine(line: string): PolicyRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new InvalidRequestError(`line is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError('line must be a JSON object');
  }
  const request = value as PolicyRequest;
  normalizeRequest(request);
  return request;
}
