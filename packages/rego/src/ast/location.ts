/**
 * A source span. Every AST node has one so that later stages (compiler, type checker, planner)
 * can point diagnostics at the code that caused them.
 */
export interface Location {
  readonly file: string;
  /** 1-based line of the first character. */
  readonly row: number;
  /** 1-based column of the first character, in UTF-16 code units. */
  readonly col: number;
  /** Offset of the first character, in UTF-16 code units (a JavaScript string index). */
  readonly offset: number;
  /** Offset just past the last character; `source.slice(offset, end)` is the node's text. */
  readonly end: number;
}
