/**
 * @portcullis/core — the decision contract, the engine that evaluates it, the fact extractors
 * that turn SQL, shell lines and HTTP requests into the input document, masking, approvals,
 * audit, and the error registry. It imports nothing from network or protocol libraries.
 */

export * from './contract.js';
export * from './errors.js';
