import type { Diagnostic } from './diagnostic.js';

/**
 * One diagnostic the way OPA prints an `ast.Error`: `file:row: code: message`, or `row:col: …`
 * when there is no file name, followed by the source line and a caret when known.
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const { location } = diagnostic;
  const prefix =
    location.file.length > 0 ? `${location.file}:${location.row}` : `${location.row}:${location.col}`;
  let text = `${prefix}: ${diagnostic.code}: ${diagnostic.message}`;
  if (diagnostic.details !== undefined) {
    const { line, idx } = diagnostic.details;
    // OPA indents the caret with the line's own tabs so it lines up in a terminal.
    const lead = line.slice(0, Math.max(0, idx)).replace(/[^\t]/g, ' ');
    text += `\n\t${line}\n\t${lead}^`;
  }
  return text;
}

/** A list of diagnostics as OPA's `ast.Errors` prints it. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return 'no error(s)';
  const first = diagnostics[0];
  if (diagnostics.length === 1 && first !== undefined) return `1 error occurred: ${formatDiagnostic(first)}`;
  return `${diagnostics.length} errors occurred:\n${diagnostics.map(formatDiagnostic).join('\n')}`;
}
