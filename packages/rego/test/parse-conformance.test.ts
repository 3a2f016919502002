/**
 * Parses every module and query of OPA's conformance suite (../shared/opa-conformance/v1, kept
 * outside the repository) and requires that everything not meant to fail parsing parses cleanly,
 * and that formatting and re-parsing gives the same tree.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatModule } from '../src/ast/format.js';
import { stripLocations } from '../src/ast/strip-locations.js';
import { formatDiagnostics } from '../src/diagnostics/format.js';
import { parseModule, parseQuery, parseTerm } from '../src/parser/parse.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const suiteRoot = path.resolve(repoRoot, '..', 'shared', 'opa-conformance', 'v1');

interface Case {
  note?: string;
  query?: string;
  modules?: string[];
  want_error_code?: string;
  want_error?: string;
  input_term?: string;
}

/**
 * Cases OPA's suite expects to fail parsing would be listed here with the reason; the v1 suite
 * has none today (no case expects rego_parse_error), so every module must parse.
 */
const EXPECTED_FAILURES: ReadonlyMap<string, string> = new Map();

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(full);
  }
  return out;
}

const present = existsSync(suiteRoot);

describe('OPA conformance suite: parsing', () => {
  if (!present) {
    it.skip(`suite not found at ${suiteRoot}; skipping`, () => {});
    return;
  }

  it('parses every module and query that is not expected to be a parse error', () => {
    let cases = 0;
    let modules = 0;
    let modulesOk = 0;
    let queries = 0;
    let queriesOk = 0;
    let roundTrips = 0;
    let inputTerms = 0;
    const failures: string[] = [];
    for (const file of yamlFiles(suiteRoot)) {
      const doc = parseYaml(readFileSync(file, 'utf8')) as { cases?: Case[] } | null;
      for (const [index, c] of (doc?.cases ?? []).entries()) {
        cases++;
        const note = c.note ?? `${path.relative(suiteRoot, file)}#${index}`;
        const expectsParseError = c.want_error_code === 'rego_parse_error' || EXPECTED_FAILURES.has(note);
        for (const [m, source] of (c.modules ?? []).entries()) {
          const name = `${note} (module ${m})`;
          const result = parseModule(source, { file: `${note}.rego` });
          if (expectsParseError) continue;
          modules++;
          if (result.module === undefined) {
            failures.push(`${name}: ${formatDiagnostics(result.diagnostics)}`);
            continue;
          }
          modulesOk++;
          const again = parseModule(formatModule(result.module));
          if (again.module === undefined) {
            failures.push(
              `${name}: formatted output does not parse: ${formatDiagnostics(again.diagnostics)}`,
            );
          } else if (
            // The formatter drops comments, so compare without them.
            JSON.stringify(stripLocations({ ...again.module, comments: [] })) !==
            JSON.stringify(stripLocations({ ...result.module, comments: [] }))
          ) {
            failures.push(`${name}: formatting changed the tree`);
          } else {
            roundTrips++;
          }
        }
        if (c.input_term !== undefined) {
          inputTerms++;
          const t = parseTerm(c.input_term);
          if (t.term === undefined)
            failures.push(`${note} (input_term): ${formatDiagnostics(t.diagnostics)}`);
        }
        if (c.query !== undefined && !expectsParseError) {
          queries++;
          const q = parseQuery(c.query);
          if (q.body === undefined) failures.push(`${note} (query): ${formatDiagnostics(q.diagnostics)}`);
          else queriesOk++;
        }
      }
    }
    console.log(
      `conformance parse: ${cases} cases; modules ${modulesOk}/${modules}; queries ${queriesOk}/${queries}; ` +
        `format round trips ${roundTrips}/${modulesOk}; input terms ${inputTerms}`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
