/**
 * Public entry points of the Rego front end: source text in, AST and collected diagnostics out.
 * Nothing here throws on bad input; every problem is a diagnostic.
 */
import type { Body, Module, Term } from '../ast/nodes.js';
import { DiagnosticCollector } from '../diagnostics/collector.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { scan } from '../scanner/scanner.js';
import { Parser } from './parser.js';

export interface ParseOptions {
  /** Used in locations and diagnostics; defaults to the empty string as OPA does for inline input. */
  readonly file?: string;
  /** Cap on collected diagnostics (OPA's default is 10); 0 for no cap. */
  readonly maxErrors?: number;
}

export interface ParseModuleResult {
  /** Present only when the module parsed without any diagnostic. */
  readonly module?: Module;
  readonly diagnostics: Diagnostic[];
}

export interface ParseQueryResult {
  readonly body?: Body;
  readonly diagnostics: Diagnostic[];
}

export interface ParseTermResult {
  readonly term?: Term;
  readonly diagnostics: Diagnostic[];
}

function setUp(source: string, options: ParseOptions): { parser: Parser; diagnostics: DiagnosticCollector } {
  const diagnostics = new DiagnosticCollector(
    options.maxErrors === undefined ? {} : { maxDiagnostics: options.maxErrors },
  );
  const { tokens, comments } = scan(source);
  const parser = new Parser({ source, file: options.file ?? '', tokens, comments, diagnostics });
  return { parser, diagnostics };
}

/** Parses one Rego v1 module (package, imports, rules). */
export function parseModule(source: string, options: ParseOptions = {}): ParseModuleResult {
  const { parser, diagnostics } = setUp(source, options);
  const module = parser.parseModule();
  const list = diagnostics.toArray();
  return module !== undefined && list.length === 0 ? { module, diagnostics: list } : { diagnostics: list };
}

/** Parses a query such as `data.test.p = x; y := 1`: expressions separated by `;` or newlines. */
export function parseQuery(source: string, options: ParseOptions = {}): ParseQueryResult {
  const { parser, diagnostics } = setUp(source, options);
  const body = parser.parseQuery();
  const list = diagnostics.toArray();
  return body !== undefined && list.length === 0 ? { body, diagnostics: list } : { diagnostics: list };
}

/** Parses a single term, e.g. an `input` document written as Rego (`{"x": {1, 2}}`). */
export function parseTerm(source: string, options: ParseOptions = {}): ParseTermResult {
  const { parser, diagnostics } = setUp(source, options);
  const term = parser.parseTerm();
  const list = diagnostics.toArray();
  return term !== undefined && list.length === 0 ? { term, diagnostics: list } : { diagnostics: list };
}
