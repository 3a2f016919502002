/**
 * A case's `input_term` (a ground Rego term) as text for the loader. `inputTermJson` writes
 * JSON: number literals copied verbatim so nothing is lost to f64, sets as arrays and
 * non-string object keys as their JSON text, which is what the value looks like after any trip
 * through JSON. `inputTermValue` writes OPA's value syntax (sets, keys of any type), which is
 * what `opa_eval` parses its input as, so the term reaches the policy unchanged.
 */
import type { Term } from '../ast/index.js';
import { parseTerm } from '../parser/index.js';

function json(term: Term, values = false): string {
  const inner = (t: Term) => json(t, values);
  switch (term.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return term.value ? 'true' : 'false';
    case 'number':
      return normalizeNumber(term.raw);
    case 'string':
      return JSON.stringify(term.value);
    case 'array':
      return `[${term.items.map(inner).join(',')}]`;
    case 'set':
      if (values) return term.items.length === 0 ? 'set()' : `{${term.items.map(inner).join(',')}}`;
      return `[${term.items.map(inner).join(',')}]`;
    case 'object':
      return `{${term.entries
        .map((e) => {
          const key =
            e.key.type === 'string'
              ? JSON.stringify(e.key.value)
              : values
                ? inner(e.key)
                : JSON.stringify(inner(e.key));
          return `${key}:${inner(e.value)}`;
        })
        .join(',')}}`;
    case 'call':
      // `set()` is the only call a ground term can hold.
      return values ? 'set()' : '[]';
    default:
      throw new Error(`input_term holds a non-ground ${term.type}`);
  }
}

/** Rego allows `.5` and `-.5`; JSON does not. */
function normalizeNumber(raw: string): string {
  return raw.replace(/^(-?)\./, '$10.');
}

function groundTerm(source: string): Term {
  const parsed = parseTerm(source);
  if (parsed.term === undefined) {
    throw new Error(`input_term does not parse: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  }
  return parsed.term;
}

/** JSON text of the term; throws when it is not a ground term. */
export function inputTermJson(source: string): string {
  return json(groundTerm(source));
}

/** OPA value-syntax text of the term; throws when it is not a ground term. */
export function inputTermValue(source: string): string {
  return json(groundTerm(source), true);
}
