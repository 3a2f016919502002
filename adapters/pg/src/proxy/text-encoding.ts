/**
 * How a session's text is read for masks and how masked text is written back, by the
 * client_encoding the server reports.
 * https://www.postgresql.org/docs/current/multibyte.html
 *
 * - UTF8: as UTF-8.
 * - Any other encoding but SQL_ASCII: one character per byte (`latin1` in Node's terms), so
 *   that bytes above ASCII are letters detectors read (`josé` in LATIN1 is `jos` and 0xE9,
 *   which read as UTF-8 is U+FFFD and ends an address) and a masked value keeps its other
 *   bytes exactly as they came.
 * - SQL_ASCII: the server sends what a SQL_ASCII database stored as it is (LATIN1 bytes, say),
 *   with no check (under any other client_encoding it checks what it sends is valid in it,
 *   and refuses the statement otherwise). Each value (each message outside rows) is read as
 *   UTF-8 when it is valid UTF-8, otherwise one character per byte, and written back the same
 *   way; the choice is made again from the original bytes when the mask is written, so both
 *   ends agree.
 *
 * The client-only encodings (SJIS, SHIFT_JIS_2004, BIG5, GBK, UHC, GB18030, JOHAB) have
 * characters whose second byte is ASCII (`表` in SJIS is 0x95 0x5C, a backslash). The server
 * skips such bytes when it escapes COPY text and CSV (copy.c, `encoding_embeds_ascii`), and so
 * must whatever splits or escapes that text: `charLength` says how many bytes a character
 * starting at a byte takes, as PostgreSQL's `pg_encoding_mblen` does (wchar.c), including
 * where that differs from the encoding (JOHAB's 0x8F leads three bytes there, two in JOHAB).
 * The EUC encodings are grouped too, for counting characters (a value cut to n characters is
 * cut between two); they never put ASCII inside a character, and the server's COPY does not
 * group their bytes, so neither does the splitting of COPY rows.
 */

import { isUtf8 } from 'node:buffer';

export type TextEncoding = 'utf8' | 'latin1';

/** How the characters of a multi-byte encoding are grouped into bytes, as PostgreSQL groups them. */
export const MultiByte = {
  /** One byte is one character (single-byte encodings; UTF-8 is read as UTF-8 instead). */
  None: 0,
  /** SJIS, SHIFT_JIS_2004: 0xA1–0xDF alone (half-width kana); another byte above 0x7F leads two. */
  Sjis: 1,
  /** BIG5, GBK, UHC: a byte above 0x7F leads two. */
  Double: 2,
  /** GB18030: a byte above 0x7F leads four when a digit follows it, otherwise two. */
  Gb18030: 3,
  /** EUC_JP, EUC_JIS_2004, EUC_KR, EUC_CN, JOHAB: 0x8F leads three, another byte above 0x7F two. */
  Euc: 4,
  /** EUC_TW: 0x8E leads four, 0x8F three, another byte above 0x7F two. */
  EucTw: 5,
} as const;
export type MultiByte = (typeof MultiByte)[keyof typeof MultiByte];

const MULTI_BYTE: Readonly<Record<string, MultiByte>> = {
  SJIS: MultiByte.Sjis,
  SHIFT_JIS_2004: MultiByte.Sjis,
  BIG5: MultiByte.Double,
  GBK: MultiByte.Double,
  UHC: MultiByte.Double,
  GB18030: MultiByte.Gb18030,
  JOHAB: MultiByte.Euc,
  EUC_JP: MultiByte.Euc,
  EUC_JIS_2004: MultiByte.Euc,
  EUC_KR: MultiByte.Euc,
  EUC_CN: MultiByte.Euc,
  EUC_TW: MultiByte.EucTw,
};

/** A client_encoding as the server reports it (ParameterStatus), read for masks. */
export interface ClientEncoding {
  /** How text is read when no value says otherwise (see SQL_ASCII above). */
  readonly text: TextEncoding;
  /** Under SQL_ASCII: each value's encoding is chosen from its bytes. */
  readonly perValue: boolean;
  readonly multiByte: MultiByte;
  /** A client-only encoding, whose characters can hold ASCII bytes (see above). */
  readonly embedsAscii: boolean;
}

export const UTF8_ENCODING: ClientEncoding = {
  text: 'utf8',
  perValue: false,
  multiByte: MultiByte.None,
  embedsAscii: false,
};

/** PostgreSQL's client-only encodings (`PG_ENCODING_IS_CLIENT_ONLY`). */
const CLIENT_ONLY = new Set(['SJIS', 'SHIFT_JIS_2004', 'BIG5', 'GBK', 'UHC', 'GB18030', 'JOHAB']);

/** How text is read under this client_encoding, as reported. */
export function clientEncoding(reported: string): ClientEncoding {
  const name = reported.toUpperCase();
  if (name === 'UTF8') return UTF8_ENCODING;
  if (name === 'SQL_ASCII') return { ...UTF8_ENCODING, perValue: true };
  return {
    text: 'latin1',
    perValue: false,
    multiByte: MULTI_BYTE[name] ?? MultiByte.None,
    embedsAscii: CLIENT_ONLY.has(name),
  };
}

/** The encoding bytes[start, end) are read and written in. */
export function encodingAt(
  encoding: ClientEncoding,
  bytes: Buffer,
  start: number,
  end: number,
): TextEncoding {
  if (!encoding.perValue) return encoding.text;
  return isUtf8(bytes.subarray(start, end)) ? 'utf8' : 'latin1';
}

/**
 * How many bytes the character starting at `at` takes (1 to 4; cut short at the end of the
 * data, where the server would not have sent half a character).
 */
export function charLength(multiByte: MultiByte, bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number;
  if (multiByte === MultiByte.None || lead < 0x80) return 1;
  switch (multiByte) {
    case MultiByte.Sjis:
      return lead >= 0xa1 && lead <= 0xdf ? 1 : 2;
    case MultiByte.Gb18030: {
      const next = bytes[at + 1];
      return next !== undefined && next >= 0x30 && next <= 0x39 ? 4 : 2;
    }
    case MultiByte.Euc:
      return lead === 0x8f ? 3 : 2;
    case MultiByte.EucTw:
      return lead === 0x8e ? 4 : lead === 0x8f ? 3 : 2;
    default:
      return 2;
  }
}
