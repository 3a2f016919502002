/**
 * What the built-in detectors read: the text with look-alike characters folded to the ASCII
 * ones their patterns are written for, one UTF-16 unit for one, so every offset still points
 * at the same character of the text as written (which is what is masked and sent).
 *
 * Formatted data is full of them: locale-aware formatters group digits with a no-break space
 * (U+00A0) or a narrow one (U+202F, French `Intl.NumberFormat`), web pages keep a card
 * number on one line with U+00A0, word processors turn hyphens into U+2010–U+2015, and input
 * methods for Chinese, Japanese and Korean type fullwidth forms (`４１１１`, `＠`). A card
 * number grouped that way matched no detector and went out in clear. So did a phone number
 * written in the digits of Arabic, Persian and Urdu, Hindi, Bengali or Thai text
 * (`+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹`), which locale-aware formatters and input methods write there: those
 * digits are read as ASCII digits.
 *
 * Operator patterns read the text as written: they may mean these characters.
 */

/** The text the detectors scan; `text` itself (no copy) when nothing needs folding. */
export function foldForScan(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xa0) continue;
    const f = folded(c);
    if (f === -1) continue;
    // The runs between folded characters are sliced, not copied character by character.
    out += text.slice(last, i) + String.fromCharCode(f);
    last = i + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

const SPACE = 0x20;
const HYPHEN = 0x2d;

/** Where a script's digits zero to nine are (Unicode's Nd runs). */
const DIGIT_ZEROS = [
  0x0660, // Arabic-Indic
  0x06f0, // Extended Arabic-Indic (Persian, Urdu)
  0x0966, // Devanagari
  0x09e6, // Bengali
  0x0e50, // Thai
];
const ZERO = 0x30;

/** The ASCII character `code` folds to, or -1 when it stays as it is. */
function folded(code: number): number {
  if (code < 0xa0) return -1;
  if (code === 0xa0) return SPACE;
  if (code < 0x2000) {
    if (code < 0x0660 || code > 0x0e59) return -1;
    for (const zero of DIGIT_ZEROS) if (code >= zero && code <= zero + 9) return ZERO + code - zero;
    return -1;
  }
  // En quad … hair space, figure space and thin space among them.
  if (code <= 0x200a) return SPACE;
  // Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar.
  if (code >= 0x2010 && code <= 0x2015) return HYPHEN;
  if (code === 0x202f || code === 0x205f) return SPACE;
  if (code === 0x2212) return HYPHEN;
  if (code === 0x3000) return SPACE;
  if (code === 0xfe63) return HYPHEN;
  // Fullwidth forms of ASCII `!` … `~` (U+FF01–U+FF5E).
  if (code >= 0xff01 && code <= 0xff5e) return code - 0xfee0;
  return -1;
}
