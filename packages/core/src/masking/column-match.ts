/**
 * Column rules: `email` (any table), `users.email` (table users in any schema) or
 * `public.users.email`. Identifiers may be double-quoted to hold dots. Comparison ignores
 * case: a quoted `"Users"` and an unquoted `users` are different tables to PostgreSQL, but a
 * masker that erred the other way would leak, so near-misses are masked.
 *
 * A result column whose table is unknown (an expression, a driver that does not say) matches
 * any rule with its column name: when in doubt, mask.
 */

export interface ColumnDescriptor {
  /** `table` or `schema.table`, as the driver reports it; absent or null when unknown. */
  table?: string | null | undefined;
  column: string;
  /**
   * The column may hold any masked column (an expression a masked value may flow into, whose
   * origin is not known): every column rule matches it, and the first one masks it.
   */
  any?: boolean | undefined;
  /**
   * With `table` unknown: the table the statement names the column by, not confirmed by the
   * database. Enough for a `column_pattern` rule's `except` to spare it (the operator said that
   * column holds nothing to mask), never to rule out a rule that names another table.
   */
  statedTable?: string | undefined;
  /**
   * The value is not the column's own: an expression over it, or a composite value holding it
   * among other fields. A strategy that keeps part of a value (`partial`, `format`) would keep
   * part of whatever else the value holds, so such a value is masked whole (as `redact`).
   * A descriptor with `any` is taken as derived too.
   */
  derived?: boolean | undefined;
}

/** At most this many exceptions per `column_pattern` rule: each is tried on every column it picks. */
export const EXCEPT_MAX = 256;

export interface ColumnTarget {
  schema?: string;
  table?: string;
  column: string;
  /** A `column_pattern` rule: searched in the lower-cased column name, in any table. */
  pattern?: { test(name: string): boolean };
  /** Of a `column_pattern` rule: columns of known tables it leaves alone. */
  except?: readonly ColumnTarget[];
}

/** Split a dotted, optionally double-quoted identifier path; undefined when malformed. */
export function splitIdentifiers(text: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== '.') {
        if (text[i] === '"') return undefined;
        part += text[i++];
      }
      part = part.trim();
    }
    if (part === '') return undefined;
    parts.push(part.toLowerCase());
    if (i === text.length) return parts;
    if (text[i] !== '.') return undefined;
    i++;
  }
  return undefined;
}

export function parseColumnTarget(text: string): ColumnTarget | undefined {
  const parts = splitIdentifiers(text);
  if (!parts || parts.length > 3) return undefined;
  const [a, b, c] = parts as [string, string?, string?];
  if (c !== undefined) return { schema: a, table: b as string, column: c };
  if (b !== undefined) return { table: a, column: b };
  return { column: a };
}

/**
 * Split table names, remembered: a result's rows name the same few tables over and over
 * (`maskRow` per row). Bounded, and emptied when full, so odd inputs cannot grow it.
 */
const tableParts = new Map<string, string[] | undefined>();
const TABLE_PARTS_MAX = 256;
/** Longer names (no real schema.table is) are split every time rather than kept. */
const TABLE_NAME_MAX = 256;

function splitTable(table: string): readonly string[] | undefined {
  if (table.length > TABLE_NAME_MAX) return splitIdentifiers(table);
  if (tableParts.has(table)) return tableParts.get(table);
  if (tableParts.size >= TABLE_PARTS_MAX) tableParts.clear();
  const parts = splitIdentifiers(table);
  tableParts.set(table, parts);
  return parts;
}

export function columnMatches(target: ColumnTarget, descriptor: ColumnDescriptor): boolean {
  if (descriptor.any === true) return true;
  if (target.pattern !== undefined) {
    if (!target.pattern.test(descriptor.column.toLowerCase())) return false;
    return target.except === undefined || !target.except.some((e) => isColumnOf(e, descriptor));
  }
  if (descriptor.column.toLowerCase() !== target.column) return false;
  if (target.table === undefined || descriptor.table === undefined || descriptor.table === null) return true;
  return tableMatches(target, descriptor.table);
}

/**
 * The descriptor is surely the column `target` names (which has a table): its table, known or
 * stated, is that one, in that schema when the target names one. Where matching a rule masks
 * on doubt, sparing a column needs the opposite.
 */
function isColumnOf(target: ColumnTarget, descriptor: ColumnDescriptor): boolean {
  if (descriptor.column.toLowerCase() !== target.column) return false;
  const table = descriptor.table ?? descriptor.statedTable;
  if (table === undefined) return false;
  const parts = splitTable(table);
  if (!parts || parts.length === 0) return false;
  if (parts[parts.length - 1] !== target.table) return false;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return target.schema === undefined || schema === target.schema;
}

function tableMatches(target: ColumnTarget, descriptorTable: string): boolean {
  const parts = splitTable(descriptorTable);
  // An unparseable table name cannot be ruled out.
  if (!parts || parts.length === 0) return true;
  const table = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  if (table !== target.table) return false;
  return target.schema === undefined || schema === undefined || schema === target.schema;
}
