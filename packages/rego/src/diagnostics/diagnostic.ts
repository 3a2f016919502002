/**
 * Compiler diagnostics, shaped like OPA's `ast.Error` so that messages, codes and positions can
 * be compared with OPA's output directly.
 */

/** The error codes OPA uses for problems found before evaluation. */
export const DiagnosticCodes = {
  /** The source is not syntactically valid Rego v1. */
  parse: 'rego_parse_error',
  /** A structural rule of the language is broken (conflicting rules, shadowed roots …). */
  compile: 'rego_compile_error',
  /** The type checker rejected an expression. */
  type: 'rego_type_error',
  /** A variable cannot be bound by any expression in its body. */
  unsafeVar: 'rego_unsafe_var_error',
  /** Rules depend on themselves. */
  recursion: 'rego_recursion_error',
} as const;

export type DiagnosticCode = (typeof DiagnosticCodes)[keyof typeof DiagnosticCodes];

/**
 * Where a diagnostic points. Rows and columns are 1-based; `offset` counts UTF-16 code units from
 * the start of the source, which is what a JavaScript string index is.
 */
export interface DiagnosticLocation {
  readonly file: string;
  readonly row: number;
  readonly col: number;
  readonly offset: number;
  /** The offending token's text, when there is one. */
  readonly text?: string;
}

/** The source line of the location and the index of the column in it, for a caret display. */
export interface DiagnosticDetail {
  readonly line: string;
  readonly idx: number;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly location: DiagnosticLocation;
  readonly details?: DiagnosticDetail;
}
