export {
  formatBody,
  formatExpr,
  formatHead,
  formatImport,
  formatModule,
  formatPackage,
  formatRef,
  formatRule,
  formatTerm,
} from './format.js';
export type { Location } from './location.js';
export type * from './nodes.js';
export type { InfixOperator } from './operators.js';
export {
  INFIX_BUILTINS,
  isInfixOperator,
  MEMBER_WITH_KEY_BUILTIN,
  PRECEDENCE,
  PRIMARY_PRECEDENCE,
} from './operators.js';
export { stripLocations } from './strip-locations.js';
