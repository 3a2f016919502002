export type { Comment, ScanResult } from './scanner.js';
export { scan } from './scanner.js';
export type { Keyword, Operator, Token, TokenKind } from './token.js';
export { describeToken, isKeyword, KEYWORDS, OPERATORS } from './token.js';
