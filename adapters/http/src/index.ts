/**
 * @portcullis/http — inbound HTTP under a Portcullis policy: express middleware and a fastify
 * plugin that decide each request, answer refusals with RFC 9457 problem documents, hold or
 * accept requests that need approval, and mask JSON and text responses.
 */

export type { MaskingOptions } from '@portcullis/core';
export {
  type ApprovalStatus,
  approvalStatus,
  expressApprovalStatus,
  fastifyApprovalStatus,
} from './approval-status.js';
export {
  HttpBodyTooLargeError,
  HttpDecisionFailedError,
  HttpMaskUnenforceableError,
  HttpResponseTooLargeError,
  HttpUnauthenticatedError,
  httpErrorClasses,
} from './errors.js';
export { type PortcullisExpressOptions, portcullisExpress } from './express-middleware.js';
export { type PortcullisFastifyOptions, portcullisFastify } from './fastify-plugin.js';
export {
  DEFAULT_HOLD_MS,
  DEFAULT_STATUS_PATH,
  type PortcullisHttpOptions,
  type SubjectInput,
} from './options.js';
export {
  type HttpAnswer,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  type ProblemDocument,
} from './problem-document.js';
