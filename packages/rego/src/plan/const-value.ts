/**
 * Ground terms as IR constants (MakeConstStmt): which literals qualify, and their reading by
 * the interpreter and the IR printer. The backend lays each constant out once, ahead of time.
 */
import type { Term } from '../ast/index.js';
import type { ConstValue } from './ir.js';
import { RegoObject, RegoSet, type Value } from './values.js';

/** The term as a constant when it contains no variable, ref, call or comprehension. */
export function termToConst(t: Term): ConstValue | undefined {
  switch (t.type) {
    case 'null':
      return { type: 'null' };
    case 'boolean':
      return { type: 'boolean', value: t.value };
    case 'number':
      return { type: 'number', raw: t.raw };
    case 'string':
      return { type: 'string', value: t.value };
    case 'array':
    case 'set': {
      const items: ConstValue[] = [];
      for (const item of t.items) {
        const c = termToConst(item);
        if (c === undefined) return undefined;
        items.push(c);
      }
      return { type: t.type, items };
    }
    case 'object': {
      const entries: [ConstValue, ConstValue][] = [];
      for (const e of t.entries) {
        const k = termToConst(e.key);
        const v = termToConst(e.value);
        if (k === undefined || v === undefined) return undefined;
        entries.push([k, v]);
      }
      return { type: 'object', entries };
    }
    default:
      return undefined;
  }
}

/** A fresh interpreter value (the interpreter's containers are mutable, so never shared). */
export function constToValue(c: ConstValue): Value {
  switch (c.type) {
    case 'null':
      return null;
    case 'boolean':
      return c.value;
    case 'number':
      return Number(c.raw);
    case 'string':
      return c.value;
    case 'array':
      return c.items.map(constToValue);
    case 'set': {
      const s = new RegoSet();
      for (const item of c.items) s.add(constToValue(item));
      return s;
    }
    case 'object': {
      const o = new RegoObject();
      for (const [k, v] of c.entries) o.set(constToValue(k), constToValue(v));
      return o;
    }
  }
}

/** Rego text of the constant, for the IR printer; also its identity for sharing. */
export function formatConst(c: ConstValue): string {
  switch (c.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(c.value);
    case 'number':
      return c.raw;
    case 'string':
      return JSON.stringify(c.value);
    case 'array':
      return `[${c.items.map(formatConst).join(', ')}]`;
    case 'set':
      return c.items.length === 0 ? 'set()' : `{${c.items.map(formatConst).join(', ')}}`;
    case 'object':
      return `{${c.entries.map(([k, v]) => `${formatConst(k)}: ${formatConst(v)}`).join(', ')}}`;
  }
}
