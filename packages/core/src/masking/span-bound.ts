/**
 * Bounds on how many UTF-16 code units a regular expression can match, read from its source.
 * The stream masker holds back the tail of its buffer while a match could still start there;
 * the upper bound says how far back that can be, and a zero lower bound marks a pattern that
 * matches the empty string (rejected: it would match between every two characters).
 *
 * The bounds are structural and conservative: the upper bound may overestimate (an atom that
 * can match an astral code point counts 2 units), the lower bound may underestimate. Syntax
 * errors are not reported here; the regex engine rejects those when the pattern is compiled.
 */

export interface SpanBound {
  min: number;
  /** `Infinity` when a quantifier is unbounded. */
  max: number;
}

const ZERO_WIDTH_ESCAPES = new Set(['b', 'B', 'A', 'z', 'Z', 'G']);
const ASCII_CLASS_ESCAPES = new Set(['d', 'w', 's']);

export function spanBound(source: string): SpanBound {
  const parser = new BoundParser(source);
  const bound = parser.alternation();
  return bound;
}

class BoundParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  alternation(): SpanBound {
    let result = this.sequence();
    while (this.src[this.pos] === '|') {
      this.pos++;
      const next = this.sequence();
      result = { min: Math.min(result.min, next.min), max: Math.max(result.max, next.max) };
    }
    return result;
  }

  private sequence(): SpanBound {
    let min = 0;
    let max = 0;
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos];
      if (ch === '|' || ch === ')') break;
      const atom = this.atom();
      const quantified = this.quantifier(atom);
      min += quantified.min;
      max += quantified.max;
    }
    return { min, max };
  }

  private atom(): SpanBound {
    const src = this.src;
    const ch = src[this.pos] as string;
    if (ch === '(') return this.group();
    if (ch === '[') return this.charClass();
    if (ch === '^' || ch === '$') {
      this.pos++;
      return { min: 0, max: 0 };
    }
    if (ch === '.') {
      this.pos++;
      return { min: 1, max: 2 };
    }
    if (ch === '\\') return this.escape();
    const code = src.charCodeAt(this.pos);
    // A surrogate pair in the source is one code point written as two units.
    if (code >= 0xd800 && code <= 0xdbff && this.pos + 1 < src.length) {
      this.pos += 2;
      return { min: 2, max: 2 };
    }
    this.pos++;
    return { min: 1, max: 1 };
  }

  private escape(): SpanBound {
    const src = this.src;
    const letter = src[this.pos + 1] ?? '';
    this.pos += 2;
    if (ZERO_WIDTH_ESCAPES.has(letter)) return { min: 0, max: 0 };
    if (ASCII_CLASS_ESCAPES.has(letter)) return { min: 1, max: 1 };
    if (letter === 'Q') {
      const close = src.indexOf('\\E', this.pos);
      const literal = src.slice(this.pos, close === -1 ? src.length : close);
      this.pos = close === -1 ? src.length : close + 2;
      return { min: literal.length, max: literal.length };
    }
    if ((letter === 'p' || letter === 'P' || letter === 'x') && src[this.pos] === '{') {
      const close = src.indexOf('}', this.pos);
      this.pos = close === -1 ? src.length : close + 1;
    } else if (letter === 'p' || letter === 'P') {
      this.pos++;
    } else if (letter === 'x') {
      this.pos += 2;
    }
    // \D, \W, \S, \p, \x{…} and anything else may match an astral code point.
    return { min: 1, max: 2 };
  }

  private charClass(): SpanBound {
    const src = this.src;
    let i = this.pos + 1;
    let wide = false;
    if (src[i] === '^') {
      wide = true;
      i++;
    }
    // A `]` first in the class is a literal.
    if (src[i] === ']') i++;
    while (i < src.length && src[i] !== ']') {
      if (src[i] === '\\') {
        const letter = src[i + 1] ?? '';
        if (!ASCII_CLASS_ESCAPES.has(letter) && !/[-\\\]^.nrtfv/[]/.test(letter)) wide = true;
        i += 2;
        continue;
      }
      if (src[i] === '[' && src[i + 1] === ':') {
        const close = src.indexOf(':]', i + 2);
        if (src[i + 2] === '^') wide = true;
        i = close === -1 ? src.length : close + 2;
        continue;
      }
      if (src.charCodeAt(i) > 0x7f) wide = true;
      i++;
    }
    this.pos = i + 1;
    return { min: 1, max: wide ? 2 : 1 };
  }

  private group(): SpanBound {
    const src = this.src;
    this.pos++;
    if (src[this.pos] === '?') {
      // (?P<name>…), (?<name>…), (?:…), (?flags:…) or a flag-only group (?i).
      if (src.startsWith('P<', this.pos + 1) || src[this.pos + 1] === '<') {
        const close = src.indexOf('>', this.pos);
        this.pos = close === -1 ? src.length : close + 1;
      } else {
        let i = this.pos + 1;
        while (i < src.length && /[a-zA-Z-]/.test(src[i] as string)) i++;
        if (src[i] === ')') {
          this.pos = i + 1;
          return { min: 0, max: 0 };
        }
        this.pos = i + 1;
      }
    }
    const inner = this.alternation();
    if (src[this.pos] === ')') this.pos++;
    return inner;
  }

  private quantifier(atom: SpanBound): SpanBound {
    const src = this.src;
    let result = atom;
    for (;;) {
      const ch = src[this.pos];
      if (ch === '*') {
        this.pos++;
        result = { min: 0, max: result.max === 0 ? 0 : Infinity };
      } else if (ch === '+') {
        this.pos++;
        result = { min: result.min, max: result.max === 0 ? 0 : Infinity };
      } else if (ch === '?') {
        this.pos++;
        result = { min: 0, max: result.max };
      } else if (ch === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(this.pos, this.pos + 24));
        if (!m) return result;
        this.pos += m[0].length;
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
        result = {
          min: result.min * lo,
          max: hi === Infinity ? (result.max === 0 ? 0 : Infinity) : result.max * hi,
        };
      } else {
        return result;
      }
      // Lazy (`?`) and possessive (`+`) suffixes do not change the bounds.
      if (src[this.pos] === '?') this.pos++;
    }
  }
}
