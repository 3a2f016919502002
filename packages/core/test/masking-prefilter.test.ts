import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetectorName, MaskRule, MaskStrategy } from '../src/contract.js';
import { DETECTOR_NAMES, DETECTOR_SCANNERS } from '../src/masking/detectors.js';
import { createMaskerWith, type Masker } from '../src/masking/masker.js';
import { textFeatures } from '../src/masking/prefilter.js';
import { REGEX_ENGINES, type RegexEngine } from '../src/masking/regex-engine.js';
import { compileScanners, type Hit, ScanState } from '../src/masking/scan-engine.js';
import { filler, secretArbitraries, separator } from './masking-generators.js';

// Prefilters skip a detector's regex when the text cannot hold a hit. They must never change
// an output: every property compares a masker with prefilters against one without them.

const hashKey = 'property test key, 32 bytes long';
const detectorRules = (strategy: MaskStrategy): MaskRule[] =>
  DETECTOR_NAMES.map((detector) => ({ detector, strategy }));
const ruleSets: Record<string, MaskRule[]> = {
  redact: detectorRules('redact'),
  hash: detectorRules('hash'),
  partial: detectorRules('partial'),
  // A pattern rule has no prefilter, so the whole-text short cut is off.
  'with pattern': [...detectorRules('redact'), { pattern: 'id-[0-9]{3}', strategy: 'hash' }],
};

const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = `${UPPER_ALNUM}abcdefghijklmnopqrstuvwxyz`;

function luhnComplete(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return payload + String((10 - (sum % 10)) % 10);
}

/** Secrets of forms the shared generators leave out, and the shortest of each kind. */
const moreSecrets = fc.oneof(
  fc
    .tuple(fc.constantFrom('2', '3', '4', '5', '6'), chars('0123456789', 11, 11))
    .map(([i, d]) => luhnComplete(i + d)),
  fc.array(fc.nat(9), { minLength: 4, maxLength: 4 }).map((octets) => octets.join('.')),
  chars('0123456789', 3, 3).map((d) => `+4 9301 ${d}`),
  fc.constantFrom('eyJhbGciOiJIUzI1NiJ9.eyJ.x', 'AKIAABCDEFGHIJKLMNOP', 'github_pat_abcdefghijklmnopqrstuv'),
  chars(`${ALNUM}_`, 22, 40).map((t) => `github_pat_${t}`),
  fc.constantFrom('gho_', 'ghu_', 'ghs_', 'ghr_').chain((p) => chars(ALNUM, 36, 40).map((t) => p + t)),
  fc
    .tuple(fc.constantFrom('ASIA', 'ABIA', 'ACCA', 'A3TX', 'A3T7'), chars(UPPER_ALNUM, 16, 16))
    .map(([p, t]) => p + t),
  fc
    .tuple(fc.constantFrom('xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'), chars(`${ALNUM}-`, 10, 30))
    .map(([p, t]) => p + t),
  fc.tuple(fc.constantFrom('rk_live_', 'pk_live_'), chars(ALNUM, 10, 30)).map(([p, t]) => p + t),
  fc.tuple(chars(`${ALNUM}.%`, 1, 12), chars('abcdexyz', 1, 8)).map(([l, d]) => `${l}%40${d}.com`),
  fc
    .tuple(
      chars(`${ALNUM}.`, 1, 12),
      fc.constantFrom('&#64;', '&#x40;', '&#X040;', '&commat;'),
      chars('abcdexyz', 1, 8),
    )
    .map(([l, at, d]) => `${l}${at}${d}.com`),
  // Internationalised addresses: other scripts in the local part, the domain and the TLD.
  fc
    .tuple(chars('aéñüжπ用户', 1, 8), chars('bcäöпр例子', 1, 6), fc.constantFrom('de', 'рф', '中国', 'com'))
    .map(([l, d, tld]) => `${l}@${d}.${tld}`),
  fc
    .tuple(fc.constantFrom('bearer ', 'BEARER\t', 'Bearer   '), chars(`${ALNUM}._~+/-`, 16, 40))
    .map(([p, t]) => p + t),
  fc.constantFrom('::1:2', 'fe80::1:2', '2001:db8::8a2e:370:7334', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8'),
  fc.constantFrom('+1 212 555 0100', '+44 20 7946 0958', '+49(30)1234567', '212.555.0100', '1-212-555-0100'),
  // The shortest encoded forms: `%2B` and three digits, an IBAN and a card spaced as a URL spaces.
  chars('0123456789', 3, 3).map((d) => `%2B4%209301%20${d}`),
  fc.constantFrom('%2b49301234', 'NO93%208601%201117%20947', '4111+1111+1111+1111'),
);

/** Pieces of secrets and the characters prefilters count: texts near every threshold. */
const fragments = fc.string({
  unit: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...'0123456789') },
    { weight: 2, arbitrary: fc.constantFrom(...'ABCDEFGKSTXYZabcdeghiklmnoprsuvxyz') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(' ', '.', '-', ':', '@', '+', '_', '(', ')', '/', '\t', '\n', '%'),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'eyJ',
        'AKIA',
        'ASIA',
        'A3T',
        'gh',
        'ghp_',
        'github_pat_',
        'xox',
        'xoxb-',
        'k_live_',
        'sk_live_',
        'Bearer ',
        'bearer',
        'BEARER ',
        '-----BEGIN ',
        'PRIVATE KEY-----',
        '-----END ',
        '::',
        'DE89',
        'GB82',
        '.com',
        'é',
        '用',
        '.рф',
        '%40',
        '&#64;',
        '\u00a0',
        '\u202f',
        '\u2011',
        '４',
        '＠',
        '&#x40;',
        '&',
        '#',
        ';',
        '%20',
        '%2B',
        '4111',
        '😀',
        'é',
      ),
    },
  ),
  maxLength: 120,
});

const anySecret = fc.oneof(
  ...DETECTOR_NAMES.map((name) => secretArbitraries[name as DetectorName]),
  moreSecrets,
);

/** Texts: embedded secrets (alone, like a database cell, or among other text), fragments, random strings. */
const texts = fc.oneof(
  anySecret,
  fc
    .tuple(filler, separator, anySecret, separator, filler)
    .map(([before, s1, secret, s2, after]) => before + s1 + secret + s2 + after),
  fc
    .array(fc.oneof(anySecret, filler, fragments, separator), { maxLength: 6 })
    .map((parts) => parts.join('')),
  fragments,
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

const maskers = (engine: RegexEngine, rules: MaskRule[]): [Masker, Masker] => [
  createMaskerWith({ hashKey, rules, regexEngine: engine }, true),
  createMaskerWith({ hashKey, rules, regexEngine: engine }, false),
];

function scanAll(engine: RegexEngine, text: string, prefilters: boolean): Hit[] {
  const specs = DETECTOR_NAMES.flatMap((name) => DETECTOR_SCANNERS[name]);
  const hits: Hit[] = [];
  new ScanState(compileScanners(specs, engine), prefilters).scan(text, 0, true, hits);
  return hits;
}

describe('detector prefilters', () => {
  it('every built-in scanner has a prefilter', () => {
    for (const name of DETECTOR_NAMES) {
      for (const spec of DETECTOR_SCANNERS[name]) expect(spec.prefilter).toBeTypeOf('function');
    }
  });

  it('a text without letters or digits passes no prefilter', () => {
    const features = textFeatures('-- @ :: ... +() 😀 ¿ ×');
    for (const name of DETECTOR_NAMES) {
      for (const spec of DETECTOR_SCANNERS[name]) {
        expect(spec.prefilter?.(features, '-- @ :: ... +() 😀 ¿ ×')).toBe(false);
      }
    }
  });

  it('an address written in other scripts alone passes the e-mail prefilter', () => {
    for (const text of ['用户@例子.中国', 'иван@пример.рф']) {
      expect(
        DETECTOR_SCANNERS.email.every((spec) => spec.prefilter?.(textFeatures(text), text) !== false),
      ).toBe(true);
    }
  });

  describe.each(REGEX_ENGINES.map((engine) => [engine]))('on %s', (engine) => {
    it('every scanner finds the same hits with and without prefilters', () => {
      fc.assert(
        fc.property(texts, (text) => {
          expect(scanAll(engine, text, true)).toEqual(scanAll(engine, text, false));
        }),
        { numRuns: 1000 },
      );
    });

    it.each(Object.keys(ruleSets).map((name) => [name]))(
      'maskText with prefilters equals maskText without them (%s)',
      (name) => {
        const [fast, plain] = maskers(engine, ruleSets[name] as MaskRule[]);
        fc.assert(
          fc.property(texts, (text) => {
            const expected = plain.maskText(text);
            expect(fast.maskText(text)).toBe(expected);
            // Without prefilters, the stream path (one write, then end) is the reference.
            const stream = plain.createStream();
            expect(stream.write(text) + stream.end()).toBe(expected);
          }),
          { numRuns: 500 },
        );
      },
    );

    it('a stream with prefilters equals maskText without them, however cut', () => {
      const [fast, plain] = maskers(engine, ruleSets.redact as MaskRule[]);
      fc.assert(
        fc.property(texts, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const stream = fast.createStream();
          let out = '';
          let at = 0;
          for (const p of points) {
            out += stream.write(text.slice(at, p));
            at = p;
          }
          out += stream.write(text.slice(at)) + stream.end();
          expect(out).toBe(plain.maskText(text));
        }),
        { numRuns: 300 },
      );
    });
  });
});
