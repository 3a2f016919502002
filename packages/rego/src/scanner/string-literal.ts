/**
 * Decoding of double-quoted Rego strings. Rego strings follow JSON's escape rules (OPA hands the
 * literal to Go's JSON decoder), so the same escapes are accepted and the same ones rejected.
 */

const REPLACEMENT = '\uFFFD';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function readHex4(text: string, at: number): number {
  if (at + 4 > text.length) return -1;
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const digit = hexValue(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

export type DecodedString = { readonly ok: true; readonly value: string } | { readonly ok: false };

/**
 * Decodes the text between the quotes. Unpaired surrogate escapes become U+FFFD, as in Go; raw
 * control characters are rejected only in literals with escapes, because OPA only runs the JSON
 * decoder on those.
 */
export function decodeStringBody(body: string): DecodedString {
  if (!body.includes('\\')) return { ok: true, value: body };
  let out = '';
  let i = 0;
  while (i < body.length) {
    const code = body.charCodeAt(i);
    if (code < 0x20) return { ok: false };
    if (code !== 92) {
      out += body[i];
      i++;
      continue;
    }
    const escaped = body[i + 1];
    i += 2;
    switch (escaped) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const unit = readHex4(body, i);
        if (unit < 0) return { ok: false };
        i += 4;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // A high surrogate only counts when a low-surrogate escape follows it directly.
          const low = body.charCodeAt(i) === 92 && body[i + 1] === 'u' ? readHex4(body, i + 2) : -1;
          if (low >= 0xdc00 && low <= 0xdfff) {
            out += String.fromCharCode(unit, low);
            i += 6;
          } else {
            out += REPLACEMENT;
          }
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          out += REPLACEMENT;
        } else {
          out += String.fromCharCode(unit);
        }
        break;
      }
      default:
        return { ok: false };
    }
  }
  return { ok: true, value: out };
}
