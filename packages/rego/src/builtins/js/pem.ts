/**
 * Go's encoding/pem Decode and base64.StdEncoding decoding, byte for byte: OPA's crypto
 * builtins accept what these accept (stray text around blocks, CRLF lines, headers) and
 * report base64 errors at the offsets Go reports.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const CR = 0x0d;
const LF = 0x0a;
const PAD = 0x3d;

/**
 * base64.StdEncoding.Decode: padding required, CR and LF skipped anywhere, and the error is
 * Go's CorruptInputError offset (`illegal base64 data at input byte N`).
 */
export function goBase64Decode(src: Uint8Array): Buffer | { readonly errorAt: number } {
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const q = [0, 0, 0, 0];
    let dlen = 4;
    let trailing: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        // StdEncoding pads, so a short final quantum is an error.
        return { errorAt: si - j };
      }
      const c = src[si++]!;
      const v = DECODE[c]!;
      if (v >= 0) {
        q[j] = v;
        continue;
      }
      if (c === LF || c === CR) {
        j--;
        continue;
      }
      if (c !== PAD) return { errorAt: si - 1 };
      if (j < 2) return { errorAt: si - 1 };
      if (j === 2) {
        while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
        if (si === src.length) return { errorAt: src.length };
        if (src[si] !== PAD) return { errorAt: si - 1 };
        si++;
      }
      while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
      if (si < src.length) trailing = si;
      dlen = j;
      break;
    }
    const val = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < dlen - 1; k++) out.push(bytes[k]!);
    if (trailing !== undefined) return { errorAt: trailing };
    if (dlen < 4) return Buffer.from(out);
  }
}

/** The `illegal base64 data at input byte N` text of a failed decode. */
export const base64ErrorText = (e: { readonly errorAt: number }): string =>
  `illegal base64 data at input byte ${e.errorAt}`;

export interface PemBlock {
  readonly type: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly bytes: Buffer;
}

const PEM_START = Buffer.from('\n-----BEGIN ');
const PEM_END = Buffer.from('\n-----END ');
const PEM_END_OF_LINE = Buffer.from('-----');

function startsWith(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);
}

function endsWith(b: Buffer, suffix: Buffer): boolean {
  return b.length >= suffix.length && b.subarray(b.length - suffix.length).equals(suffix);
}

/** pem's getLine: up to LF (dropping one CR before it), trailing spaces and tabs trimmed. */
function getLine(data: Buffer): [Buffer, Buffer] {
  let i = data.indexOf(LF);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === CR) i--;
  }
  let e = i;
  while (e > 0 && (data[e - 1] === 0x20 || data[e - 1] === 0x09)) e--;
  return [data.subarray(0, e), data.subarray(j)];
}

/**
 * pem.Decode: the first well-formed block in `data` and what follows it, or undefined (with
 * the input as the rest, as Go returns it) when there is none.
 */
export function pemDecode(data: Buffer): { block: PemBlock; rest: Buffer } | undefined {
  let rest = data;
  for (;;) {
    if (startsWith(rest, PEM_START.subarray(1))) {
      rest = rest.subarray(PEM_START.length - 1);
    } else {
      const i = rest.indexOf(PEM_START);
      if (i < 0) return undefined;
      rest = rest.subarray(i + PEM_START.length);
    }
    let typeLine: Buffer;
    [typeLine, rest] = getLine(rest);
    if (!endsWith(typeLine, PEM_END_OF_LINE)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - PEM_END_OF_LINE.length);

    const headers = new Map<string, string>();
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(0x3a);
      if (colon < 0) break;
      headers.set(
        line.subarray(0, colon).toString('latin1').trim(),
        line
          .subarray(colon + 1)
          .toString()
          .trim(),
      );
      rest = next;
    }
    if (truncated) return undefined;

    let endIndex: number;
    let endTrailerIndex: number;
    // With no headers the END line may follow at once, without a newline before it.
    if (headers.size === 0 && startsWith(rest, PEM_END.subarray(1))) {
      endIndex = 0;
      endTrailerIndex = PEM_END.length - 1;
    } else {
      endIndex = rest.indexOf(PEM_END);
      endTrailerIndex = endIndex + PEM_END.length;
    }
    if (endIndex < 0) continue;

    let endTrailer = rest.subarray(endTrailerIndex);
    const endTrailerLen = typeLine.length + PEM_END_OF_LINE.length;
    if (endTrailer.length < endTrailerLen) continue;
    const restOfEndLine = endTrailer.subarray(endTrailerLen);
    endTrailer = endTrailer.subarray(0, endTrailerLen);
    if (!startsWith(endTrailer, typeLine) || !endsWith(endTrailer, PEM_END_OF_LINE)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;

    const body = Buffer.from(rest.subarray(0, endIndex).filter((b) => b !== 0x20 && b !== 0x09));
    const bytes = goBase64Decode(body);
    if (!Buffer.isBuffer(bytes)) continue;

    const after = getLine(rest.subarray(endIndex + PEM_END.length - 1))[1];
    return { block: { type: typeLine.toString(), headers, bytes }, rest: after };
  }
}

/** Every block pem.Decode finds, in order, as Go's decode loops do. */
export function pemBlocks(data: Buffer): PemBlock[] {
  const out: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const r = pemDecode(rest);
    if (r === undefined) return out;
    out.push(r.block);
    rest = r.rest;
  }
}
