/**
 * The ways a web page writes a no-break space between the groups of a phone, card or IBAN
 * number to keep it on one line: `&nbsp;`, `&#160;`, `&#xA0;` (hexadecimal in either case).
 * Each is six characters long, which lets the detectors step over one from either end.
 *
 * https://html.spec.whatwg.org/multipage/syntax.html#character-references
 */
export const NBSP_REFERENCE_PATTERN = '&(?:nbsp|#160|#[xX][aA]0);';

export const NBSP_REFERENCE_LENGTH = 6;

/** True when a no-break space reference starts at `i`. */
export function isNbspReferenceAt(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== 38 || text.charCodeAt(i + 5) !== 59) return false;
  const a = text.charCodeAt(i + 1);
  const b = text.charCodeAt(i + 2);
  const c = text.charCodeAt(i + 3);
  const d = text.charCodeAt(i + 4);
  // nbsp
  if (a === 110) return b === 98 && c === 115 && d === 112;
  if (a !== 35) return false;
  // #160
  if (b === 49) return c === 54 && d === 48;
  // #xA0, #Xa0, …
  return (b === 120 || b === 88) && (c === 97 || c === 65) && d === 48;
}

/**
 * `base`, and the characters of the references in their order (an alphabet hint sees the
 * previous character), so a number grouped with them is scanned as one run.
 */
export function withNbspReferences(
  base: (code: number) => boolean,
): (code: number, previous: number) => boolean {
  return (code, previous) =>
    base(code) ||
    code === 38 ||
    // &nbsp;
    (code === 110 && previous === 38) ||
    (code === 98 && previous === 110) ||
    (code === 115 && previous === 98) ||
    (code === 112 && previous === 115) ||
    // &#160; and &#xA0;, whose digits every base alphabet here takes
    (code === 35 && previous === 38) ||
    ((code === 120 || code === 88) && previous === 35) ||
    ((code === 97 || code === 65) && (previous === 120 || previous === 88)) ||
    (code === 59 && (previous === 112 || previous === 48));
}
