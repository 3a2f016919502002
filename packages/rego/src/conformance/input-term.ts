/**
 * A case's `input_term` (a ground Rego term) as JSON text for the loader. Number literals are
 * copied verbatim so nothing is lost to f64; sets become arrays and non-string object keys
 * their JSON text, which is what the value looks like after any trip through JSON.
 */
import type { Term } from '../ast/index.js';
import { parseTerm } from '../parser/index.js';

function json(term: Term): string {
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
    case 'set':
      return `[${term.items.map(json).join(',')}]`;
    case 'object':
      return `{${term.entries
        .map((e) => `${JSON.stringify(e.key.type === 'string' ? e.key.value : json(e.key))}:${json(e.value)}`)
        .join(',')}}`;
    case 'call':
      // `set()` is the only call a ground term can hold.
      return '[]';
    default:
      throw new Error(`input_term holds a non-ground ${term.type}`);
  }
}

/** Rego allows `.5` and `-.5`; JSON does not. */
function normalizeNumber(raw: string): string {
  return raw.replace(/^(-?)\./, '$10.');
}

/** JSON text of the term, or an Error describing why it is not a ground term. */
export function inputTermJson(source: string): string {
  const parsed = parseTerm(source);
  if (parsed.term === undefined) {
    throw new Error(`input_term does not parse: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  }
  return json(parsed.term);
}
