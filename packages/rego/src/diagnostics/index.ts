export type { DiagnosticCollectorOptions } from './collector.js';
export { DEFAULT_MAX_DIAGNOSTICS, DiagnosticCollector, ERROR_LIMIT_MESSAGE } from './collector.js';
export type { Diagnostic, DiagnosticCode, DiagnosticDetail, DiagnosticLocation } from './diagnostic.js';
export { DiagnosticCodes } from './diagnostic.js';
export { formatDiagnostic, formatDiagnostics } from './format.js';
