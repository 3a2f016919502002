/**
 * The cursor a DECLARE opens and a FETCH reads, from the statement's text: a FETCH's rows come
 * from its cursor's query, which is not in the FETCH, so the proxy judges them by the DECLARE
 * it saw (see statementCarries). A name these readers cannot make out is undefined, and the
 * caller then assumes the worst.
 *
 * https://www.postgresql.org/docs/current/sql-declare.html
 * https://www.postgresql.org/docs/current/sql-fetch.html
 */

/** An identifier at the start of `text` (after blanks): its name and the rest of the text. */
function leadingIdentifier(text: string): { name: string; rest: string } | undefined {
  const s = text.trimStart();
  if (s.startsWith('"')) {
    const m = /^"((?:[^"]|"")+)"/.exec(s);
    return m ? { name: (m[1] as string).replaceAll('""', '"'), rest: s.slice(m[0].length) } : undefined;
  }
  const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s);
  return m ? { name: m[0].toLowerCase(), rest: s.slice(m[0].length) } : undefined;
}

/** `DECLARE name … CURSOR …`: the name. */
export function declaredCursorName(text: string): string | undefined {
  const m = /^\s*declare\s/i.exec(text);
  if (!m) return undefined;
  return leadingIdentifier(text.slice(m[0].length))?.name;
}

/**
 * `FETCH … [FROM | IN] name` (and MOVE): the name, which ends the statement. A text with a
 * comment has no answer: `FETCH ALL FROM c -- d` would otherwise be read as a FETCH of `d`.
 */
export function fetchedCursorName(text: string): string | undefined {
  if (text.includes('--') || text.includes('/*')) return undefined;
  const s = text.replace(/[\s;]+$/, '');
  const quoted = /"((?:[^"]|"")+)"$/.exec(s);
  if (quoted) return (quoted[1] as string).replaceAll('""', '"');
  const m = /(?:^|[\s(])([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)$/.exec(s);
  return m ? (m[1] as string).toLowerCase() : undefined;
}
