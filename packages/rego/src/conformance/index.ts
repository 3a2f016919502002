export { canonical, sameResultSet } from './compare-results.js';
export { inputTermJson, inputTermValue } from './input-term.js';
export { type CaseOutcome, type ConformanceCase, runCase } from './run-case.js';
export {
  type CaseResult,
  type ConformanceOptions,
  type ConformanceSummary,
  defaultConformanceDir,
  formatConformanceSummary,
  runConformance,
} from './run-conformance.js';
