/**
 * What a `COPY … TO STDOUT` statement says about the rows it sends: the format and its
 * options (delimiter, NULL string, quote, escape, header), the table and columns, or the
 * text of `COPY (query)`'s query. Read from PostgreSQL's own grammar (libpg-query), which
 * folds the legacy spellings (`CSV HEADER DELIMITER AS ';'`) into the same options list.
 * Anything it cannot pin down is a reason, and the caller refuses the COPY.
 * https://www.postgresql.org/docs/current/sql-copy.html
 */

export type CopyFormat = 'text' | 'csv' | 'binary';

export interface CopyOptions {
  format: CopyFormat;
  /** One byte (PostgreSQL requires a single one-byte character). */
  delimiter: string;
  /** The NULL string as it appears in the data. */
  null: string;
  /** A header line comes first (text and CSV). */
  header: boolean;
  /** CSV only. */
  quote: string;
  escape: string;
  /**
   * `ENCODING 'UTF8'` was given: text and CSV data come in UTF-8 whatever the session's
   * client_encoding (another ENCODING is refused).
   */
  utf8?: boolean;
}

export interface CopyStatement {
  options: CopyOptions;
  /** `COPY table [(columns)] TO`: the table's name as the grammar folded it, and the column list. */
  relation?: { names: string[]; columns: string[] };
  /** `COPY (query) TO`: the query's text, as written. */
  query?: string;
}

interface Node {
  [key: string]: unknown;
}

interface PgParser {
  parseSync(sql: string): { stmts?: { stmt?: Node }[] };
}

let parser: Promise<PgParser> | undefined;

/** libpg-query, as core loads it for the SQL facts (so its wasm is usually loaded already). */
function loadParser(): Promise<PgParser> {
  parser ??= (async () => {
    const mod = (await import('libpg-query')) as unknown as PgParser & { loadModule(): Promise<void> };
    await mod.loadModule();
    return mod;
  })();
  parser.catch(() => {
    parser = undefined;
  });
  return parser;
}

/** Read one COPY statement; a string is the reason it cannot be masked. */
export async function parseCopyStatement(text: string): Promise<CopyStatement | string> {
  let pg: PgParser;
  try {
    pg = await loadParser();
  } catch {
    return 'the SQL parser could not be loaded';
  }
  let stmts: { stmt?: Node }[];
  try {
    stmts = pg.parseSync(text).stmts ?? [];
  } catch {
    return 'the COPY statement does not parse';
  }
  const copy = stmts.length === 1 ? (stmts[0]?.stmt?.CopyStmt as Node | undefined) : undefined;
  if (!copy) return 'not a single COPY statement';
  const options = copyOptions(copy.options);
  if (typeof options === 'string') return options;
  const out: CopyStatement = { options };
  const relation = copy.relation as Node | undefined;
  if (relation) {
    const names = [relation.catalogname, relation.schemaname, relation.relname].filter(
      (n): n is string => typeof n === 'string' && n !== '',
    );
    const columns: string[] = [];
    for (const item of list(copy.attlist)) {
      const name = stringValue(item);
      if (name === undefined) return 'a column of the COPY column list cannot be read';
      columns.push(name);
    }
    out.relation = { names, columns };
  }
  if (copy.query !== undefined) {
    const query = innerQueryText(pg, text, copy.query as Node);
    if (query === undefined) return "the COPY's query cannot be told apart from the statement";
    out.query = query;
  }
  if (!out.relation && out.query === undefined) return 'the COPY names neither a table nor a query';
  return out;
}

function list(value: unknown): Node[] {
  if (!Array.isArray(value)) return [];
  return value as Node[];
}

function stringValue(node: Node | undefined): string | undefined {
  const s = node?.String as Node | undefined;
  return typeof s?.sval === 'string' ? s.sval : undefined;
}

const BOOLEAN_WORDS = new Map([
  ['true', true],
  ['on', true],
  ['1', true],
  ['false', false],
  ['off', false],
  ['0', false],
]);

function booleanArg(arg: Node | undefined): boolean | undefined {
  if (arg === undefined) return true;
  const b = arg.Boolean as Node | undefined;
  if (b) return b.boolval === true;
  const i = arg.Integer as Node | undefined;
  if (i) return i.ival === 1 ? true : i.ival === undefined || i.ival === 0 ? false : undefined;
  const s = stringValue(arg);
  return s === undefined ? undefined : BOOLEAN_WORDS.get(s.toLowerCase());
}

/** Options that change only COPY FROM, or nothing about the bytes sent: the server checks them. */
const IGNORED_OPTIONS = new Set([
  'freeze',
  'force_quote',
  'force_not_null',
  'force_null',
  'default',
  'on_error',
  'log_verbosity',
  'reject_limit',
]);

const UTF8_NAMES = new Set(['utf8', 'utf-8', 'unicode']);

function copyOptions(value: unknown): CopyOptions | string {
  let format: CopyFormat = 'text';
  const given = new Map<string, Node | undefined>();
  for (const item of list(value)) {
    const def = item.DefElem as Node | undefined;
    const name = typeof def?.defname === 'string' ? def.defname : undefined;
    if (!def || name === undefined) return 'a COPY option cannot be read';
    given.set(name, def.arg as Node | undefined);
  }
  if (given.has('format')) {
    const f = stringValue(given.get('format'))?.toLowerCase();
    if (f !== 'text' && f !== 'csv' && f !== 'binary') return `COPY format ${f ?? '?'} is not known`;
    format = f;
  }
  const options: CopyOptions = {
    format,
    delimiter: format === 'csv' ? ',' : '\t',
    null: format === 'csv' ? '' : '\\N',
    header: false,
    quote: '"',
    escape: '"',
  };
  let escapeGiven = false;
  for (const [name, arg] of given) {
    switch (name) {
      case 'format':
        break;
      case 'delimiter':
      case 'quote':
      case 'escape': {
        const s = stringValue(arg);
        // One byte: multi-byte characters are refused by the server too.
        if (s === undefined || Buffer.byteLength(s) !== 1) return `COPY option ${name} cannot be read`;
        options[name] = s;
        if (name === 'escape') escapeGiven = true;
        break;
      }
      case 'null': {
        const s = stringValue(arg);
        if (s === undefined) return 'COPY option null cannot be read';
        options.null = s;
        break;
      }
      case 'header': {
        const b = booleanArg(arg);
        if (b === undefined) return 'COPY option header cannot be read';
        options.header = b;
        break;
      }
      case 'encoding': {
        const s = stringValue(arg)?.toLowerCase();
        if (s === undefined || !UTF8_NAMES.has(s.replaceAll('_', '')))
          return 'COPY data not in UTF-8 cannot be masked';
        options.utf8 = true;
        break;
      }
      default:
        if (!IGNORED_OPTIONS.has(name)) return `COPY option ${name} is not understood`;
    }
  }
  if (!escapeGiven) options.escape = options.quote;
  return options;
}

/**
 * The text of `COPY (query) TO`'s query: the parenthesised part after COPY, found with a
 * small lexer, and accepted only when it parses to the very tree the grammar found inside
 * the COPY (locations aside), so no lexing mistake can make the proxy describe another query.
 */
function innerQueryText(pg: PgParser, text: string, query: Node): string | undefined {
  const span = parenthesised(text);
  if (span === undefined) return undefined;
  let parsed: { stmts?: { stmt?: Node }[] };
  try {
    parsed = pg.parseSync(span);
  } catch {
    return undefined;
  }
  const stmts = parsed.stmts ?? [];
  if (stmts.length !== 1 || !stmts[0]?.stmt) return undefined;
  return sameTree(stmts[0].stmt, query) ? span : undefined;
}

function sameTree(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, withoutLocations) === JSON.stringify(b, withoutLocations);
}

function withoutLocations(key: string, value: unknown): unknown {
  return key === 'location' || key === 'stmt_location' || key === 'stmt_len' ? undefined : value;
}

/** The text between the first top-level `(` and its match, skipping strings and comments. */
export function parenthesised(text: string): string | undefined {
  let depth = 0;
  let start = -1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          nest++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          nest--;
          i += 2;
        } else i++;
      }
      if (nest > 0) return undefined;
    } else if (c === "'" || c === '"') {
      // E'…' strings take backslash escapes; the grammar check afterwards catches a wrong guess.
      const escapes = c === "'" && /[eE]/.test(text[i - 1] ?? '') && !/[\w$]/.test(text[i - 2] ?? '');
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const d = text[i];
        if (escapes && d === '\\') i += 2;
        else if (d === c && text[i + 1] === c) i += 2;
        else if (d === c) {
          i++;
          break;
        } else i++;
      }
    } else if (c === '$' && !/[\w$]/.test(text[i - 1] ?? '')) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end < 0) return undefined;
        i = end + tag[0].length;
      } else i++;
    } else if (c === '(') {
      if (depth === 0) start = i + 1;
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) return text.slice(start, i);
      i++;
    } else i++;
  }
  return undefined;
}
