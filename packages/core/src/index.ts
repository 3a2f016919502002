/**
 * @portcullis/core — the decision contract, the engine that evaluates it, the fact extractors
 * that turn SQL, shell lines and HTTP requests into the input document, masking, approvals,
 * audit, and the error registry. It imports nothing from network or protocol libraries.
 */

export * from './approvals/index.js';
export * from './audit/index.js';
export * from './contract.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './http/index.js';
export { REDACTED as REDACTED_CREDENTIAL } from './http/index.js';
export * from './masking/index.js';
// Names two modules both export: the masking ones are the public meaning.
export { MASK_STRATEGIES, REDACTED } from './masking/index.js';
export * from './request/index.js';
export * from './shell/index.js';
export * from './sql/index.js';
