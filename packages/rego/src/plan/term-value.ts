/** Ground AST terms as interpreter values (conformance `input_term`, constant folding in tests). */
import type { Term } from '../ast/index.js';
import { RegoObject, RegoSet, type Value } from './values.js';

export function termToValue(t: Term): Value | undefined {
  switch (t.type) {
    case 'null':
      return null;
    case 'boolean':
      return t.value;
    case 'number':
      return Number(t.raw);
    case 'string':
      return t.value;
    case 'array': {
      const out: Value[] = [];
      for (const i of t.items) {
        const v = termToValue(i);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'set': {
      const s = new RegoSet();
      for (const i of t.items) {
        const v = termToValue(i);
        if (v === undefined) return undefined;
        s.add(v);
      }
      return s;
    }
    case 'object': {
      const o = new RegoObject();
      for (const e of t.entries) {
        const k = termToValue(e.key);
        const v = termToValue(e.value);
        if (k === undefined || v === undefined) return undefined;
        o.set(k, v);
      }
      return o;
    }
    case 'call':
      // `set()` is the empty set's only spelling.
      if (t.operator.head.type === 'var' && t.operator.head.name === 'set' && t.args.length === 0)
        return new RegoSet();
      return undefined;
    default:
      return undefined;
  }
}
