/**
 * portcullis — the reference gateway and its command-line tool, built only on the public API
 * of @portcullis/core and the adapters.
 */
export { buildProgram, main } from './cli/main.js';
export { requestFromFlags } from './cli/request-flags.js';
