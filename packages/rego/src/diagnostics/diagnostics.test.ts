import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DIAGNOSTICS, DiagnosticCollector, ERROR_LIMIT_MESSAGE } from './collector.js';
import type { Diagnostic } from './diagnostic.js';
import { DiagnosticCodes } from './diagnostic.js';
import { formatDiagnostic, formatDiagnostics } from './format.js';

const at = (row: number, file = 'policy.rego'): Diagnostic => ({
  code: DiagnosticCodes.parse,
  message: `problem on line ${row}`,
  location: { file, row, col: 3, offset: 10 * row },
});

describe('DiagnosticCollector', () => {
  it('caps at ten by default and closes the list with OPA’s "error limit reached"', () => {
    const collector = new DiagnosticCollector();
    for (let row = 1; row <= 15; row++) collector.add(at(row));
    const list = collector.toArray();
    expect(DEFAULT_MAX_DIAGNOSTICS).toBe(10);
    expect(list).toHaveLength(11);
    expect(list[10]?.message).toBe(ERROR_LIMIT_MESSAGE);
    expect(list[10]?.code).toBe('rego_compile_error');
    expect(collector.limitReached).toBe(true);
    expect(collector.add(at(99))).toBe(false);
  });

  it('honours a custom cap, and 0 means unlimited', () => {
    const two = new DiagnosticCollector({ maxDiagnostics: 2 });
    for (let row = 1; row <= 5; row++) two.add(at(row));
    expect(two.toArray().map((d) => d.message)).toEqual([
      'problem on line 1',
      'problem on line 2',
      ERROR_LIMIT_MESSAGE,
    ]);
    const unlimited = new DiagnosticCollector({ maxDiagnostics: 0 });
    for (let row = 1; row <= 50; row++) unlimited.add(at(row));
    expect(unlimited.size).toBe(50);
    expect(unlimited.limitReached).toBe(false);
  });

  it('rejects a nonsensical cap, naming the option', () => {
    expect(() => new DiagnosticCollector({ maxDiagnostics: -1 })).toThrow(/maxDiagnostics/);
  });

  it('report() builds the diagnostic', () => {
    const c = new DiagnosticCollector();
    c.report('rego_type_error', 'bad', { file: 'a', row: 1, col: 1, offset: 0 });
    expect(c.hasErrors).toBe(true);
    expect(c.toArray()).toEqual([
      { code: 'rego_type_error', message: 'bad', location: { file: 'a', row: 1, col: 1, offset: 0 } },
    ]);
  });
});

describe('formatting like OPA', () => {
  it('prints file:row: code: message', () => {
    expect(formatDiagnostic(at(3))).toBe('policy.rego:3: rego_parse_error: problem on line 3');
  });

  it('falls back to row:col without a file', () => {
    expect(formatDiagnostic(at(3, ''))).toBe('3:3: rego_parse_error: problem on line 3');
  });

  it('adds the source line and a caret that respects tabs', () => {
    const d: Diagnostic = { ...at(2), details: { line: '\tx := 1 +', idx: 9 } };
    expect(formatDiagnostic(d)).toBe(
      'policy.rego:2: rego_parse_error: problem on line 2\n\t\tx := 1 +\n\t\t        ^',
    );
  });

  it('prints lists as ast.Errors does', () => {
    expect(formatDiagnostics([])).toBe('no error(s)');
    expect(formatDiagnostics([at(1)])).toBe(
      '1 error occurred: policy.rego:1: rego_parse_error: problem on line 1',
    );
    expect(formatDiagnostics([at(1), at(2)])).toBe(
      '2 errors occurred:\npolicy.rego:1: rego_parse_error: problem on line 1\npolicy.rego:2: rego_parse_error: problem on line 2',
    );
  });
});
