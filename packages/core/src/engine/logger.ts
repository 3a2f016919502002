/** The subset of pino's logger the engine calls: `(object, message)`. Any level may be absent. */
export interface EngineLogger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}
