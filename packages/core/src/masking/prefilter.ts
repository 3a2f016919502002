/**
 * Prefilters: a cheap, conservative test per built-in scanner that rules out a match before
 * its regex runs. Each RE2 call from Node costs a few microseconds whatever the pattern, and
 * every detector is tried on every value, so on short values (a database cell) skipping the
 * calls that cannot match is most of the cost. One pass over the text counts what the
 * prefilters ask about; each prefilter sits next to its detector's pattern (detectors.ts) and
 * must answer "maybe" whenever the scanner could report a hit anywhere in the text (a match
 * of its pattern that its validator accepts).
 */

/**
 * Counts gathered in one pass over a text (ASCII, but for `intl`: the built-in patterns are
 * ASCII apart from the e-mail detector's letters of other scripts).
 */
export interface TextFeatures {
  /** ASCII digits 0-9. */
  digits: number;
  /** ASCII letters A-Z and a-z. */
  letters: number;
  /** `@` */
  at: number;
  /** `%` */
  percents: number;
  /** `&` */
  ampersands: number;
  /** `.` */
  dots: number;
  /** `:` */
  colons: number;
  /** `-` */
  dashes: number;
  /** `+` */
  plus: number;
  /** `_` */
  underscores: number;
  /** Characters from U+00C0 up to the surrogates (letters of other scripts among them). */
  intl: number;
  /** Somewhere two uppercase letters are directly followed by two digits (`[A-Z]{2}\d{2}`). */
  upperUpperDigitDigit: boolean;
  /** The longest run of characters in `[A-Z0-9]`. */
  longestUpperDigitRun: number;
}

const NO_FEATURES: TextFeatures = Object.freeze({
  digits: 0,
  letters: 0,
  at: 0,
  percents: 0,
  ampersands: 0,
  dots: 0,
  colons: 0,
  dashes: 0,
  plus: 0,
  underscores: 0,
  intl: 0,
  upperUpperDigitDigit: false,
  longestUpperDigitRun: 0,
});

/** From U+00C0 up to the surrogates: where the e-mail detector's letters of other scripts are. */
function isIntl(c: number): boolean {
  return c >= 0xc0 && c < 0xd800;
}

/**
 * True when `text` has an ASCII letter or digit, or a character of `isIntl`; every
 * built-in pattern needs one (an address may be written in other scripts alone).
 */
function hasAlnum(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isIntl(c)) return true;
  }
  return false;
}

export function textFeatures(text: string): TextFeatures {
  if (!hasAlnum(text)) return NO_FEATURES;
  let digits = 0;
  let letters = 0;
  let at = 0;
  let percents = 0;
  let ampersands = 0;
  let dots = 0;
  let colons = 0;
  let dashes = 0;
  let plus = 0;
  let underscores = 0;
  let intl = 0;
  let upperUpperDigitDigit = false;
  let run = 0;
  let longestUpperDigitRun = 0;
  // Kinds of the previous three characters: 1 uppercase, 2 digit, 0 other.
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let kind = 0;
    if (c >= 48 && c <= 57) {
      digits++;
      kind = 2;
      if (k1 === 2 && k2 === 1 && k3 === 1) upperUpperDigitDigit = true;
    } else if (c >= 65 && c <= 90) {
      letters++;
      kind = 1;
    } else if (c >= 97 && c <= 122) letters++;
    else if (c === 64) at++;
    else if (c === 37) percents++;
    else if (c === 38) ampersands++;
    else if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (c === 45) dashes++;
    else if (c === 43) plus++;
    else if (c === 95) underscores++;
    else if (isIntl(c)) intl++;
    if (kind !== 0) {
      run++;
      if (run > longestUpperDigitRun) longestUpperDigitRun = run;
    } else run = 0;
    k3 = k2;
    k2 = k1;
    k1 = kind;
  }
  return {
    digits,
    letters,
    at,
    percents,
    ampersands,
    dots,
    colons,
    dashes,
    plus,
    underscores,
    intl,
    upperUpperDigitDigit,
    longestUpperDigitRun,
  };
}

/** Could the scanner report a hit somewhere in `text`? False only when it certainly cannot. */
export type Prefilter = (features: TextFeatures, text: string) => boolean;
