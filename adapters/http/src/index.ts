/**
 * @portcullis/http — inbound HTTP under a Portcullis policy: express middleware, a fastify
 * plugin and a reverse proxy (a node:http handler in front of an upstream API) that decide
 * each request, answer refusals with RFC 9457 problem documents, hold or accept requests that
 * need approval, and mask JSON and text responses.
 */

export type { MaskingOptions } from '@portcullis/core';
export { DEFAULT_REQUEST_DECISION_CACHE as DEFAULT_DECISION_CACHE } from '@portcullis/core';
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
  HttpUpstreamError,
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
export {
  createHttpReverseProxy,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type HttpReverseProxy,
  type HttpReverseProxyOptions,
} from './reverse-proxy.js';
