export type { ParseModuleResult, ParseOptions, ParseQueryResult, ParseTermResult } from './parse.js';
export { parseModule, parseQuery, parseTerm } from './parse.js';
export { isGround } from './parser.js';
