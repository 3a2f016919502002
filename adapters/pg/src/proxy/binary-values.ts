/**
 * Detector and pattern masks on binary-format values whose wire form is not their text:
 * arrays, composites, ranges, network addresses, the server's scalars (their text from
 * scalar-text.ts), and types of the user's or of extensions (citext, enums, domains). In
 * text format the server writes all of these as text, which masks read; in binary an array
 * of e-mail addresses or a row of a table (`SELECT u FROM users u`, psycopg 3's binary
 * cursors) carries the same text inside length-prefixed elements. Each value is read by its
 * type's send function's layout (PostgreSQL's array_send, record_send, range_send,
 * multirange_send, inet_send), its text parts masked and the value rebuilt; what no layout
 * here can read becomes NULL, never passed unread.
 *
 * Types are known by OID: the server's own from the table below (pg_type.dat), the rest from
 * the upstream's catalog (`TypeShapes.learn`), by the type's kind and its send function.
 */

import type { CatalogType } from '../upstream/catalog-client.js';
import {
  DEFAULT_TEXT_SETTINGS,
  SCALAR_SENDS,
  type Scalar,
  scalarText,
  type TextSettings,
} from './scalar-text.js';
import { encodingAt } from './text-encoding.js';

/**
 * How a binary value is read.
 * - `Keep`: the value is an OID (regclass and the other reg types) or nothing (void).
 * - `Scalar`: one of the server's scalar types (floats, dates and times, UUIDs, bytea …), read
 *   as the text the server would write for it (scalar-text.ts, `scalar` names the reading);
 *   a value a mask would change becomes NULL.
 * - `Text`, `Json`, `Jsonb`: the value is its text (jsonb after a version byte).
 * - `Int8`, `Numeric`, `Inet`: read as the text the server would write for it; a value a
 *   mask would change becomes NULL (no mask's text is a value of these types).
 * - `Array`, `Record`: elements or fields, each of the type OID the value itself names.
 * - `Range`, `Multirange`: bounds of `subtype`; a range a mask would change becomes NULL.
 * - `Domain`: read as `subtype`, its base type.
 * - `Unreadable`: no layout known here (PostGIS …): NULL under masks.
 * - `Enum`: the label's text; a label a mask would change becomes NULL, since the mask's text
 *   is no label of the type (a driver that maps the enum would refuse it).
 * - `Hstore`: the hstore extension's pairs of text, keys and values masked.
 * - `TsVector`, `TsQuery`: their lexemes and operands, each read as text; a value with one a
 *   mask would change becomes NULL (a masked lexeme would break the sorted order the type
 *   keeps, and a query of masks is another query).
 */
export const Shape = {
  Keep: 0,
  Text: 1,
  Json: 2,
  Jsonb: 3,
  Int8: 4,
  Numeric: 5,
  Inet: 6,
  Array: 7,
  Record: 8,
  Range: 9,
  Multirange: 10,
  Domain: 11,
  Unreadable: 12,
  Enum: 13,
  Hstore: 14,
  Scalar: 15,
  TsVector: 16,
  TsQuery: 17,
} as const;
export type Shape = (typeof Shape)[keyof typeof Shape];

export interface TypeShape {
  readonly shape: Shape;
  /** A range's or multirange's element type, a domain's base type. */
  readonly subtype?: number;
  /** How a `Scalar` value is read. */
  readonly scalar?: Scalar;
}

/**
 * Send functions by name (pg_proc.prosrc of the built-in, language internal, function a
 * type's typsend names): a type of an extension that sends as text names `textsend` there
 * (citext does).
 */
const SEND_SHAPES = new Map<string, Shape>([
  ['textsend', Shape.Text],
  ['varcharsend', Shape.Text],
  ['bpcharsend', Shape.Text],
  ['namesend', Shape.Text],
  ['unknownsend', Shape.Text],
  ['cstring_send', Shape.Text],
  ['xml_send', Shape.Text],
  ['enum_send', Shape.Enum],
  ['json_send', Shape.Json],
  ['jsonb_send', Shape.Jsonb],
  ['int8send', Shape.Int8],
  ['numeric_send', Shape.Numeric],
  ['inet_send', Shape.Inet],
  ['cidr_send', Shape.Inet],
  ['array_send', Shape.Array],
  ['anyarray_send', Shape.Array],
  ['anycompatiblearray_send', Shape.Array],
  ['record_send', Shape.Record],
  ['range_send', Shape.Range],
  ['$libdir/hstore:hstore_send', Shape.Hstore],
  ['multirange_send', Shape.Multirange],
  ['tsvectorsend', Shape.TsVector],
  ['tsquerysend', Shape.TsQuery],
  // Their binary form is the object's OID, which tells no more than the number does; the
  // name their text shows is not in the value.
  ...[
    'void_send',
    'regprocsend',
    'regproceduresend',
    'regopersend',
    'regoperatorsend',
    'regclasssend',
    'regtypesend',
    'regconfigsend',
    'regdictionarysend',
    'regnamespacesend',
    'regrolesend',
    'regcollationsend',
  ].map((name) => [name, Shape.Keep] as const),
]);

/** The server's own types (pg_type.dat, PostgreSQL 15) by their send functions. */
const BUILTIN_SENDS: ReadonlyArray<readonly [number, string]> = [
  [16, 'boolsend'],
  [17, 'byteasend'],
  [18, 'charsend'],
  [19, 'namesend'],
  [20, 'int8send'],
  [21, 'int2send'],
  [22, 'int2vectorsend'],
  [23, 'int4send'],
  [24, 'regprocsend'],
  [25, 'textsend'],
  [26, 'oidsend'],
  [27, 'tidsend'],
  [28, 'xidsend'],
  [29, 'cidsend'],
  [30, 'oidvectorsend'],
  [114, 'json_send'],
  [142, 'xml_send'],
  [600, 'point_send'],
  [601, 'lseg_send'],
  [602, 'path_send'],
  [603, 'box_send'],
  [604, 'poly_send'],
  [628, 'line_send'],
  [650, 'cidr_send'],
  [700, 'float4send'],
  [701, 'float8send'],
  [705, 'unknownsend'],
  [718, 'circle_send'],
  [774, 'macaddr8_send'],
  [790, 'cash_send'],
  [829, 'macaddr_send'],
  [869, 'inet_send'],
  [1042, 'bpcharsend'],
  [1043, 'varcharsend'],
  [1082, 'date_send'],
  [1083, 'time_send'],
  [1114, 'timestamp_send'],
  [1184, 'timestamptz_send'],
  [1186, 'interval_send'],
  [1266, 'timetz_send'],
  [1560, 'bit_send'],
  [1562, 'varbit_send'],
  [1700, 'numeric_send'],
  [1790, 'textsend'],
  [2202, 'regproceduresend'],
  [2203, 'regopersend'],
  [2204, 'regoperatorsend'],
  [2205, 'regclasssend'],
  [2206, 'regtypesend'],
  [2249, 'record_send'],
  [2275, 'cstring_send'],
  [2277, 'anyarray_send'],
  [2278, 'void_send'],
  [2950, 'uuid_send'],
  [2970, 'txid_snapshot_send'],
  [3220, 'pg_lsn_send'],
  [3614, 'tsvectorsend'],
  [3615, 'tsquerysend'],
  [3734, 'regconfigsend'],
  [3769, 'regdictionarysend'],
  [3802, 'jsonb_send'],
  [4089, 'regnamespacesend'],
  [4096, 'regrolesend'],
  [4191, 'regcollationsend'],
  [5038, 'pg_snapshot_send'],
  [5069, 'xid8send'],
  [5078, 'anycompatiblearray_send'],
];

/** The server's array types of its scalar types (pg_type.dat): each sends with array_send. */
const BUILTIN_ARRAYS = [
  143, 199, 271, 629, 651, 719, 775, 791, 1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011,
  1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1027, 1028, 1034, 1040, 1041, 1115, 1182,
  1183, 1185, 1187, 1231, 1263, 1270, 1561, 1563, 2201, 2207, 2208, 2209, 2210, 2211, 2287, 2949, 2951, 3221,
  3643, 3644, 3645, 3735, 3770, 3807, 3905, 3907, 3909, 3911, 3913, 3927, 4073, 4090, 4097, 4192, 5039, 6150,
  6151, 6152, 6153, 6155, 6157,
];

/** The server's range and multirange types with their element types (pg_range.dat). */
const BUILTIN_RANGES: ReadonlyArray<readonly [number, Shape, number]> = [
  [3904, Shape.Range, 23],
  [3906, Shape.Range, 1700],
  [3908, Shape.Range, 1114],
  [3910, Shape.Range, 1184],
  [3912, Shape.Range, 1082],
  [3926, Shape.Range, 20],
  [4451, Shape.Multirange, 23],
  [4532, Shape.Multirange, 1700],
  [4533, Shape.Multirange, 1114],
  [4534, Shape.Multirange, 1184],
  [4535, Shape.Multirange, 1082],
  [4536, Shape.Multirange, 20],
];

function shapeOfSend(send: string): TypeShape {
  const scalar = SCALAR_SENDS.get(send);
  if (scalar !== undefined) return { shape: Shape.Scalar, scalar };
  return { shape: SEND_SHAPES.get(send) ?? Shape.Unreadable };
}

const BUILTIN = new Map<number, TypeShape>([
  ...BUILTIN_SENDS.map(([oid, send]) => [oid, shapeOfSend(send)] as const),
  ...BUILTIN_ARRAYS.map((oid) => [oid, { shape: Shape.Array }] as const),
  ...BUILTIN_RANGES.map(([oid, shape, subtype]) => [oid, { shape, subtype }] as const),
]);

function shapeOfRow(row: CatalogType): TypeShape {
  switch (row.kind) {
    case 'd':
      return { shape: Shape.Domain, subtype: row.base };
    case 'e':
      return { shape: Shape.Enum };
    case 'c':
      return { shape: Shape.Record };
    case 'r':
      return { shape: Shape.Range, subtype: row.subtype };
    case 'm':
      return { shape: Shape.Multirange, subtype: row.subtype };
    default:
      return shapeOfSend(row.send);
  }
}

/** Types one TypeShapes remembers besides the server's own. */
const MAX_LEARNED = 100_000;

/** Longest chain of domains, arrays, composites and ranges followed (deeper reads as unreadable). */
const MAX_DEPTH = 32;

/**
 * The types of one database met in results, by OID: the server's own, and those its catalog
 * described. An OID's layout never changes while the type exists (a composite's fields may,
 * but each value names its fields' types, which are looked up on their own).
 */
export class TypeShapes {
  private readonly learned = new Map<number, TypeShape>();

  shapeOf(oid: number): TypeShape | undefined {
    return BUILTIN.get(oid) ?? this.learned.get(oid);
  }

  /** `shapeOf`, a domain's as its base type's (undefined past MAX_DEPTH domains). */
  baseShapeOf(oid: number): TypeShape | undefined {
    let type = this.shapeOf(oid);
    for (let depth = 0; type?.shape === Shape.Domain; depth++) {
      if (depth >= MAX_DEPTH) return undefined;
      type = this.shapeOf(type.subtype ?? 0);
    }
    return type;
  }

  /** Of these type OIDs, those not known yet: what to ask the catalog about. */
  unknown(oids: Iterable<number>): number[] {
    const out = new Set<number>();
    for (const oid of oids) if (oid !== 0 && this.shapeOf(oid) === undefined) out.add(oid);
    return [...out];
  }

  /** Take in catalog rows; returns the OIDs they name that are still unknown (to look up next). */
  learn(rows: readonly CatalogType[]): number[] {
    // A database has far fewer types than this; past it (types created and dropped over and
    // over), start again rather than grow.
    if (this.learned.size + rows.length > MAX_LEARNED) this.learned.clear();
    for (const row of rows) this.learned.set(row.oid, shapeOfRow(row));
    const named = rows.flatMap((r) => [r.element, r.base, r.subtype, ...r.fields]);
    return this.unknown(named);
  }
}

/** Types of the server's only: for plans made with no session (tests, a one-off COPY). */
export const BUILTIN_TYPES = new TypeShapes();

/**
 * A binary value under detector and pattern masks (`maskText`): undefined when no mask
 * changes it, null when it must go out as NULL (a changed value of a type no mask's text is a
 * value of, or a value no layout here reads), else the value rebuilt with its text parts
 * masked. Malformed values (a server's bytes that do not match their type) are NULL.
 */
export function maskBinaryValue(
  types: TypeShapes,
  typeOid: number,
  body: Buffer,
  start: number,
  length: number,
  maskText: (text: string) => string,
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): Buffer | null | undefined {
  try {
    return maskValue({ types, body, maskText, settings }, typeOid, start, length, 0);
  } catch (err) {
    if (err instanceof RangeError || err instanceof Malformed) return null;
    throw err;
  }
}

class Malformed extends Error {}

/** One value being read: the types to read it by, its message's bytes, and the masks. */
interface Reading {
  readonly types: TypeShapes;
  readonly body: Buffer;
  readonly maskText: (text: string) => string;
  /** The session's settings, which the text of a date or a time depends on. */
  readonly settings: TextSettings;
}

function int32(body: Buffer, at: number, end: number): number {
  if (at + 4 > end) throw new Malformed();
  return body.readInt32BE(at);
}

function maskValue(
  r: Reading,
  typeOid: number,
  start: number,
  length: number,
  depth: number,
): Buffer | null | undefined {
  if (depth > MAX_DEPTH) return null;
  const { body, maskText } = r;
  const type = r.types.baseShapeOf(typeOid);
  const end = start + length;
  switch (type?.shape ?? Shape.Unreadable) {
    case Shape.Keep:
      return undefined;
    case Shape.Text:
    case Shape.Json: {
      const encoding = encodingAt(r.settings.encoding, body, start, end);
      const text = body.toString(encoding, start, end);
      const masked = maskText(text);
      return masked === text ? undefined : Buffer.from(masked, encoding);
    }
    case Shape.Jsonb: {
      if (length < 1 || body[start] !== JSONB_VERSION) return null;
      const encoding = encodingAt(r.settings.encoding, body, start + 1, end);
      const text = body.toString(encoding, start + 1, end);
      const masked = maskText(text);
      return masked === text ? undefined : Buffer.concat([JSONB_PREFIX, Buffer.from(masked, encoding)]);
    }
    case Shape.Enum:
      return changes(body.toString(encodingAt(r.settings.encoding, body, start, end), start, end), maskText);
    case Shape.Int8:
      if (length !== 8) return null;
      return changes(body.readBigInt64BE(start).toString(), maskText);
    case Shape.Numeric:
      return changes(numericText(body, start, length), maskText);
    case Shape.Inet:
      return changes(inetText(body, start, length), maskText);
    case Shape.Scalar:
      if (type?.scalar === undefined) return null;
      return changes(scalarText(type.scalar, body, start, length, r.settings), maskText);
    case Shape.Array:
      return maskArray(r, start, end, depth);
    case Shape.Record:
      return maskRecord(r, start, end, depth);
    case Shape.Range:
      return maskRange(r, type?.subtype ?? 0, start, end, depth);
    case Shape.Multirange: {
      const count = int32(body, start, end);
      let at = start + 4;
      for (let i = 0; i < count; i++) {
        const size = int32(body, at, end);
        at += 4;
        if (size < 0 || at + size > end) throw new Malformed();
        if (maskRange(r, type?.subtype ?? 0, at, at + size, depth) !== undefined) return null;
        at += size;
      }
      if (at !== end) throw new Malformed();
      return undefined;
    }
    case Shape.Hstore:
      return maskHstore(r, start, end);
    case Shape.TsVector:
      return tsVectorChanges(r, start, end);
    case Shape.TsQuery:
      return tsQueryChanges(r, start, end);
    default:
      return null;
  }
}

/** A value read as its text (null: malformed): unchanged, or NULL when a mask would change it. */
function changes(text: string | null, maskText: (text: string) => string): null | undefined {
  if (text === null) return null;
  return maskText(text) === text ? undefined : null;
}

/**
 * array_send: int32 dimensions, int32 has-NULLs flag, uint32 element type, per dimension
 * int32 length and int32 lower bound, then each element as int32 length (-1 for NULL) and
 * its bytes. A masked element is rebuilt in place; one that must be NULL sets the flag.
 */
function maskArray(r: Reading, start: number, end: number, depth: number): Buffer | null | undefined {
  const body = r.body;
  const dimensions = int32(body, start, end);
  if (dimensions < 0 || dimensions > 6) throw new Malformed();
  const element = int32(body, start + 8, end) >>> 0;
  const header = start + 12 + 8 * dimensions;
  if (header > end) throw new Malformed();
  let count = dimensions === 0 ? 0 : 1;
  for (let d = 0; d < dimensions; d++) count *= int32(body, start + 12 + 8 * d, end);
  if (count < 0) throw new Malformed();
  const parts = maskElements(r, header, end, count, element, depth);
  if (parts === undefined) return undefined;
  const head = Buffer.from(body.subarray(start, header));
  if (parts.nulls) head.writeInt32BE(1, 4);
  return Buffer.concat([head, ...parts.chunks]);
}

/**
 * record_send: int32 field count, then each field as uint32 type, int32 length (-1 for NULL)
 * and its bytes.
 */
function maskRecord(r: Reading, start: number, end: number, depth: number): Buffer | null | undefined {
  const body = r.body;
  const count = int32(body, start, end);
  if (count < 0) throw new Malformed();
  const parts = maskElements(r, start + 4, end, count, 'inline', depth);
  if (parts === undefined) return undefined;
  return Buffer.concat([body.subarray(start, start + 4), ...parts.chunks]);
}

/**
 * The length-prefixed items of an array or record from `at` to `end`, masked: undefined when
 * none changes, else the chunks to write (unchanged runs as they came) and whether one
 * became NULL. A record's items carry their own type before the length (`'inline'`).
 */
function maskElements(
  r: Reading,
  at: number,
  end: number,
  count: number,
  element: number | 'inline',
  depth: number,
): { chunks: Buffer[]; nulls: boolean } | undefined {
  const body = r.body;
  const chunks: Buffer[] = [];
  let nulls = false;
  let runFrom = at;
  for (let i = 0; i < count; i++) {
    let type: number;
    if (element === 'inline') {
      type = int32(body, at, end) >>> 0;
      at += 4;
    } else type = element;
    const size = int32(body, at, end);
    at += 4;
    if (size === -1) continue;
    if (size < 0 || at + size > end) throw new Malformed();
    const masked = maskValue(r, type, at, size, depth + 1);
    if (masked !== undefined) {
      // What came before the item's length (a record field's type included) goes as it came.
      chunks.push(body.subarray(runFrom, at - 4), int32Bytes(masked === null ? -1 : masked.length));
      if (masked === null) nulls = true;
      else chunks.push(masked);
      runFrom = at + size;
    }
    at += size;
  }
  if (at !== end) throw new Malformed();
  if (chunks.length === 0) return undefined;
  chunks.push(body.subarray(runFrom, end));
  return { chunks, nulls };
}

/**
 * hstore_send: int32 pair count, then each pair as int32 key length and the key's text, int32
 * value length (-1 for NULL) and the value's text. Keys and values are masked as text; the
 * pairs keep their order.
 */
function maskHstore(r: Reading, start: number, end: number): Buffer | null | undefined {
  const { body, maskText } = r;
  const count = int32(body, start, end);
  if (count < 0) throw new Malformed();
  const chunks: Buffer[] = [];
  let at = start + 4;
  let runFrom = start;
  for (let i = 0; i < 2 * count; i++) {
    const size = int32(body, at, end);
    at += 4;
    const isKey = i % 2 === 0;
    if (size === -1 && !isKey) continue;
    if (size < 0 || at + size > end) throw new Malformed();
    const encoding = encodingAt(r.settings.encoding, body, at, at + size);
    const text = body.toString(encoding, at, at + size);
    const masked = maskText(text);
    if (masked !== text) {
      const bytes = Buffer.from(masked, encoding);
      chunks.push(body.subarray(runFrom, at - 4), int32Bytes(bytes.length), bytes);
      runFrom = at + size;
    }
    at += size;
  }
  if (at !== end) throw new Malformed();
  if (chunks.length === 0) return undefined;
  chunks.push(body.subarray(runFrom, end));
  return Buffer.concat(chunks);
}

/** A NUL-terminated string from `at`: its text and where it ends (past the NUL). */
function cstring(r: Reading, at: number, end: number): { text: string; next: number } {
  const nul = r.body.indexOf(0, at);
  if (nul < 0 || nul >= end) throw new Malformed();
  return { text: r.body.toString(encodingAt(r.settings.encoding, r.body, at, nul), at, nul), next: nul + 1 };
}

/**
 * tsvector_send: int32 lexeme count, then each lexeme as a NUL-terminated string, uint16
 * position count and the positions (uint16 each). Undefined when no mask changes a lexeme,
 * else null.
 */
function tsVectorChanges(r: Reading, start: number, end: number): null | undefined {
  const { body, maskText } = r;
  const count = int32(body, start, end);
  if (count < 0) throw new Malformed();
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    const lexeme = cstring(r, at, end);
    if (lexeme.next + 2 > end) throw new Malformed();
    at = lexeme.next + 2 + 2 * body.readUInt16BE(lexeme.next);
    if (maskText(lexeme.text) !== lexeme.text) return null;
  }
  if (at !== end) throw new Malformed();
  return undefined;
}

/** tsquery_send's item types, and the operator that carries a distance (tsearch/ts_type.h). */
const QI_VAL = 1;
const QI_OPR = 2;
const OP_PHRASE = 4;

/**
 * tsquery_send: int32 item count, then each item as a type byte and, for an operand, weight
 * and prefix bytes and a NUL-terminated string; for an operator, its byte (and an int16
 * distance for a phrase). Undefined when no mask changes an operand, else null.
 */
function tsQueryChanges(r: Reading, start: number, end: number): null | undefined {
  const { body, maskText } = r;
  const count = int32(body, start, end);
  if (count < 0) throw new Malformed();
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > end) throw new Malformed();
    const type = body[at];
    if (type === QI_VAL) {
      const operand = cstring(r, at + 3, end);
      if (maskText(operand.text) !== operand.text) return null;
      at = operand.next;
    } else if (type === QI_OPR) at += body[at + 1] === OP_PHRASE ? 4 : 2;
    else throw new Malformed();
  }
  if (at !== end) throw new Malformed();
  return undefined;
}

function int32Bytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** range_send flags (rangetypes.h). */
const RANGE_EMPTY = 0x01;
const RANGE_LB_INF = 0x08;
const RANGE_UB_INF = 0x10;
const RANGE_LB_NULL = 0x20;
const RANGE_UB_NULL = 0x40;

/**
 * range_send: a flags byte, then the lower and upper bounds that are present (not empty, not
 * infinite), each as int32 length and the element's bytes. A bound is no place for a mask's
 * text (the range would no longer be ordered), so a range a mask would change is NULL.
 */
function maskRange(r: Reading, subtype: number, start: number, end: number, depth: number): null | undefined {
  const body = r.body;
  if (start >= end) throw new Malformed();
  const flags = body[start] as number;
  let at = start + 1;
  if (flags & RANGE_EMPTY) return at === end ? undefined : null;
  // A bound is sent unless it is infinite (or NULL, which range_send treats the same).
  for (const absent of [RANGE_LB_INF | RANGE_LB_NULL, RANGE_UB_INF | RANGE_UB_NULL]) {
    if (flags & absent) continue;
    const size = int32(body, at, end);
    at += 4;
    if (size < 0 || at + size > end) throw new Malformed();
    if (maskValue(r, subtype, at, size, depth + 1) !== undefined) return null;
    at += size;
  }
  if (at !== end) throw new Malformed();
  return undefined;
}

/** inet_send's families (utils/inet.h): PGSQL_AF_INET and PGSQL_AF_INET6. */
const AF_INET = 2;
const AF_INET6 = 3;

/**
 * inet_send: family, prefix bits, is-cidr flag, address length, then the address bytes. The
 * text is as inet_out and cidr_out write it: the prefix shown for a cidr, or for an inet whose
 * prefix is not the whole address. Null when malformed.
 */
export function inetText(body: Buffer, start: number, length: number): string | null {
  if (length < 4) return null;
  const family = body[start] as number;
  const bits = body[start + 1] as number;
  const cidr = body[start + 2] !== 0;
  const size = body[start + 3] as number;
  const expected = family === AF_INET ? 4 : family === AF_INET6 ? 16 : -1;
  if (size !== expected || length !== 4 + size || bits > size * 8) return null;
  const bytes = body.subarray(start + 4, start + 4 + size);
  const address = family === AF_INET ? [...bytes].join('.') : ipv6Text(bytes);
  return cidr || bits !== size * 8 ? `${address}/${bits}` : address;
}

/** An IPv6 address in the compressed form (the longest run of two or more zero groups as `::`). */
function ipv6Text(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // An IPv4-mapped or -compatible address keeps its dotted tail, as the server writes it.
  const v4 = groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0);
  const tail =
    v4 && !(groups[5] === 0 && groups[6] === 0) ? `${[...bytes.subarray(12)].join('.')}` : undefined;
  const hex = (tail ? groups.slice(0, 6) : groups).map((g) => g.toString(16));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < hex.length; ) {
    if (hex[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < hex.length && hex[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text =
    best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
  if (tail) text = text.endsWith(':') ? `${text}${tail}` : `${text}:${tail}`;
  return text;
}

/** jsonb_send's version byte, before the text. */
export const JSONB_VERSION = 1;
export const JSONB_PREFIX = Buffer.from([JSONB_VERSION]);

const NUMERIC_POSITIVE = 0x0000;
const NUMERIC_NEGATIVE = 0x4000;
const NUMERIC_SPECIAL = new Map([
  [0xc000, 'NaN'],
  [0xd000, 'Infinity'],
  [0xf000, '-Infinity'],
]);

/**
 * A binary numeric's text as numeric_out writes it: int16 count of base-10000 digits, int16
 * weight (of the first digit), uint16 sign, uint16 display scale, then the digits
 * (PostgreSQL's numeric_send). Null for what is not a well-formed numeric.
 */
export function numericText(body: Buffer, start: number, length: number): string | null {
  if (length < 8) return null;
  const count = body.readUInt16BE(start);
  const weight = body.readInt16BE(start + 2);
  const sign = body.readUInt16BE(start + 4);
  const scale = body.readUInt16BE(start + 6);
  if (length !== 8 + 2 * count) return null;
  const special = NUMERIC_SPECIAL.get(sign);
  if (special !== undefined) return special;
  if (sign !== NUMERIC_POSITIVE && sign !== NUMERIC_NEGATIVE) return null;
  const digit = (d: number) => (d >= 0 && d < count ? body.readUInt16BE(start + 8 + 2 * d) : 0);
  let whole = '';
  for (let d = 0; d <= weight; d++) whole += d === 0 ? String(digit(d)) : String(digit(d)).padStart(4, '0');
  let fraction = '';
  for (let d = weight + 1; fraction.length < scale; d++) fraction += String(digit(d)).padStart(4, '0');
  const text = (whole || '0') + (scale > 0 ? `.${fraction.slice(0, scale)}` : '');
  return sign === NUMERIC_NEGATIVE && /[1-9]/.test(text) ? `-${text}` : text;
}
