/**
 * Masking throughput benchmark: all eleven detectors (strategy `redact`) over 10 MB of
 * generated mixed text (log lines, JSON lines, prose) with e-mails, cards, phones, IBANs,
 * SSNs, IPs, JWTs, AWS keys, API tokens and PEM keys sprinkled in; built-in detectors on RE2
 * and on JavaScript RegExp, whole-text `maskText` and the chunk stream (64 KiB chunks). Then
 * the pathological operator pattern `(a+)+$`: RE2 on 1 MB versus JavaScript RegExp on short
 * inputs (it is exponential there, so the inputs are kept small enough to finish). And short
 * values: 1,000,000 typical database cells (names, cities, numbers, dates, some e-mails,
 * phones, cards) masked one `maskText` call at a time, µs per value, with and without the
 * detector prefilters.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/masking/masking.ts
 *
 * Method: the corpus is generated from a fixed seed. Each subject runs once to warm up, then
 * RUNS times, interleaved round by round so outside load falls on all subjects alike; a run's
 * figure is corpus MB (10^6 UTF-16 code units of ASCII-dominated text) / elapsed seconds.
 * Reported is the median over RUNS runs, with min and max. The outputs of all subjects are
 * checked to be identical before timing. Results go to
 * benchmarks/masking/results/masking-<date>.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMasker, DETECTOR_NAMES, type Masker } from '../../packages/core/src/masking/index.js';
// Internal: the same masker with the detector prefilters off, for the short-value comparison.
import { createMaskerWith } from '../../packages/core/src/masking/masker.js';
import { median } from '../support/median.js';

const RUNS = 7;
const CORPUS_CHARS = 10_000_000;
const CHUNK = 64 * 1024;
const RE2_PATHOLOGICAL_CHARS = 1_000_000;
const JS_PATHOLOGICAL_LENGTHS = [16, 20, 22, 24, 26];
const SHORT_VALUES = 1_000_000;
/** Without prefilters RE2 takes tens of µs a value: those subjects time the first 100,000. */
const SHORT_VALUES_UNFILTERED = 100_000;
const SHORT_RUNS = 3;

// ---------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every run benchmarks the same text. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20261125);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');
const alnum = (n: number, set = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
  Array.from({ length: n }, () => set[int(set.length)]).join('');

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

const WORDS =
  'the a request user session table query latency timeout retry connection pool worker shard replica primary index cache miss hit upstream downstream gateway policy decision allowed denied approval pending'.split(
    ' ',
  );
const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const email = () =>
  `${pick(['alice', 'bob', 'carol', 'dave', 'ops', 'billing'])}.${alnum(4).toLowerCase()}@${pick(['example.com', 'mail.example.org', 'corp.example.net'])}`;
const card = () => {
  const n = luhnComplete(`4${digits(14)}`);
  return pick([n, n.replace(/(\d{4})(?=\d)/g, '$1 '), n.replace(/(\d{4})(?=\d)/g, '$1-')]);
};
const phone = () =>
  pick([
    `(${2 + int(8)}${digits(2)}) ${2 + int(8)}${digits(2)}-${digits(4)}`,
    `+44 20 ${digits(4)} ${digits(4)}`,
  ]);
const ip = () => `${int(256)}.${int(256)}.${int(256)}.${int(256)}`;
const ssn = () =>
  `${String(1 + int(665)).padStart(3, '0')}-${String(1 + int(98)).padStart(2, '0')}-${String(1 + int(9998)).padStart(4, '0')}`;
const jwt = () =>
  `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"${alnum(8)}","iat":${digits(10)}}`).toString('base64url')}.${alnum(43)}`;
const token = () =>
  pick([
    `ghp_${alnum(36)}`,
    `xoxb-${digits(11)}-${digits(12)}-${alnum(24)}`,
    `sk_live_${alnum(24)}`,
    `AKIA${alnum(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  ]);
const timestamp = () =>
  `2026-11-${String(1 + int(28)).padStart(2, '0')}T${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${digits(3)}Z`;
const pem = () =>
  `-----BEGIN RSA PRIVATE KEY-----\n${Array.from({ length: 12 }, () => alnum(64)).join('\n')}\n-----END RSA PRIVATE KEY-----`;

function logLine(): string {
  const extra = pick([
    '',
    ` user=${email()}`,
    ` client=${ip()}`,
    ` auth="Bearer ${jwt()}"`,
    ` latency_ms=${int(900)} version=1.${int(20)}.${int(9)}`,
    ` key=${token()}`,
  ]);
  return `${timestamp()} ${pick(['INFO', 'WARN', 'DEBUG', 'ERROR'])} [${pick(['api', 'db', 'auth', 'worker'])}] ${words(6 + int(8))}${extra} req=${alnum(12)}`;
}

function jsonLine(): string {
  return JSON.stringify({
    id: int(1_000_000),
    ts: timestamp(),
    customer: { name: pick(['Alice', 'Bob', 'Carol']), email: email(), phone: phone() },
    payment:
      rand() < 0.5
        ? { card: card(), amount: int(100_000) / 100 }
        : { iban: 'DE89 3704 0044 0532 0130 00', amount: int(100_000) / 100 },
    note: words(5 + int(10)),
    ...(rand() < 0.2 ? { ssn: ssn() } : {}),
  });
}

function prose(): string {
  const sprinkle = pick([email, phone, card, ip, () => words(3), () => words(2), () => `${digits(3)} items`]);
  return `${words(10 + int(20))} ${sprinkle()} ${words(5 + int(15))}.`;
}

function buildCorpus(): string {
  const parts: string[] = [];
  let length = 0;
  while (length < CORPUS_CHARS) {
    const r = rand();
    const piece = r < 0.45 ? logLine() : r < 0.8 ? jsonLine() : r < 0.9995 ? prose() : pem();
    parts.push(piece);
    length += piece.length + 1;
  }
  return parts.join('\n').slice(0, CORPUS_CHARS);
}

// ---------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------

const corpus = buildCorpus();
const rules = DETECTOR_NAMES.map((detector) => ({ detector, strategy: 'redact' as const }));
const re2 = createMasker({ rules, regexEngine: 're2' });
const js = createMasker({ rules, regexEngine: 'js' });

function streamed(masker: Masker, text: string): string {
  const stream = masker.createStream();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) out.push(stream.write(text.slice(i, i + CHUNK)));
  out.push(stream.end());
  return out.join('');
}

const subjects: [string, () => string][] = [
  ['maskText, detectors on RE2', () => re2.maskText(corpus)],
  ['maskText, detectors on JS RegExp', () => js.maskText(corpus)],
  ['stream 64 KiB chunks, detectors on RE2', () => streamed(re2, corpus)],
  ['stream 64 KiB chunks, detectors on JS RegExp', () => streamed(js, corpus)],
];

const reference = re2.maskText(corpus);
for (const [name, fn] of subjects) {
  if (fn() !== reference) throw new Error(`${name}: output differs from maskText on RE2`);
}
const secretsMasked = reference.split('[REDACTED]').length - 1;

const samples = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of subjects) {
    const started = process.hrtime.bigint();
    fn();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    samples.get(name)?.push(corpus.length / 1e6 / seconds);
  }
}

const round = (n: number, digitsAfter = 2) => Math.round(n * 10 ** digitsAfter) / 10 ** digitsAfter;

const throughput = subjects.map(([name]) => {
  const values = samples.get(name) as number[];
  return {
    subject: name,
    median_mb_per_s: round(median(values)),
    min_mb_per_s: round(Math.min(...values)),
    max_mb_per_s: round(Math.max(...values)),
    runs: values.length,
  };
});

// Short values: one maskText call per database cell, as a driver masks result rows.
const shortRand = prng(20261126);
const shortInt = (n: number) => Math.floor(shortRand() * n);
const shortPick = <T>(items: readonly T[]): T => items[shortInt(items.length)] as T;
const pad2 = (n: number) => String(n).padStart(2, '0');
function shortValue(): string {
  const r = shortInt(100);
  if (r < 22) return shortPick(['Alice Martin', 'Bob', 'Carol Nguyen', "Dave O'Brien", 'Émile Zola', 'José']);
  if (r < 35)
    return shortPick(['Paris', 'New York', 'São Paulo', 'Berlin', 'Tokyo', 'active', 'pending', '']);
  if (r < 55) return String(shortInt(1_000_000));
  if (r < 63) return (shortRand() * 1000).toFixed(2);
  if (r < 73) return `2026-${pad2(1 + shortInt(12))}-${pad2(1 + shortInt(28))}`;
  if (r < 78) return `2026-11-25T${pad2(shortInt(24))}:${pad2(shortInt(60))}:${pad2(shortInt(60))}.000Z`;
  if (r < 85) return `${shortPick(['alice', 'bob', 'ops'])}.${shortInt(999)}@example.com`;
  if (r < 90)
    return `(${2 + shortInt(8)}${shortInt(10)}${shortInt(10)}) 555-${String(shortInt(10_000)).padStart(4, '0')}`;
  if (r < 93) return card();
  if (r < 95) return `10.${shortInt(256)}.${shortInt(256)}.${shortInt(256)}`;
  return shortPick([
    'Order shipped to 12 Main St',
    'n/a',
    '-',
    'true',
    'false',
    'a8f5f167f44f4964e6c998dee827110c',
  ]);
}
const shortValues = Array.from({ length: SHORT_VALUES }, shortValue);
const unfiltered = (engine: 're2' | 'js') => createMaskerWith({ rules, regexEngine: engine }, false);
const shortSubjects: [string, Masker, number][] = [
  ['short values, RE2, prefilters', re2, SHORT_VALUES],
  ['short values, JS RegExp, prefilters', js, SHORT_VALUES],
  ['short values, RE2, no prefilters', unfiltered('re2'), SHORT_VALUES_UNFILTERED],
  ['short values, JS RegExp, no prefilters', unfiltered('js'), SHORT_VALUES_UNFILTERED],
];
const shortReference = shortValues.slice(0, SHORT_VALUES_UNFILTERED).map((v) => re2.maskText(v));
for (const [name, masker, n] of shortSubjects) {
  for (let i = 0; i < n; i++) {
    const expected = i < shortReference.length ? shortReference[i] : re2.maskText(shortValues[i] as string);
    if (masker.maskText(shortValues[i] as string) !== expected) throw new Error(`${name}: output differs`);
  }
}
const shortSamples = new Map<string, number[]>(shortSubjects.map(([name]) => [name, []]));
for (let run = 0; run < SHORT_RUNS; run++) {
  for (const [name, masker, n] of shortSubjects) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) masker.maskText(shortValues[i] as string);
    const micros = Number(process.hrtime.bigint() - started) / 1e3;
    shortSamples.get(name)?.push(micros / n);
  }
}
const shortValuesResult = shortSubjects.map(([name, , n]) => {
  const values = shortSamples.get(name) as number[];
  return {
    subject: name,
    values: n,
    median_us_per_value: round(median(values)),
    min_us_per_value: round(Math.min(...values)),
    max_us_per_value: round(Math.max(...values)),
    runs: values.length,
  };
});

// Pathological pattern: operator patterns always run on RE2; JS RegExp shown for contrast.
function timeMs(fn: () => void, repeat = RUNS): number {
  const values: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = process.hrtime.bigint();
    fn();
    values.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return round(median(values), 3);
}

const patho = createMasker({ rules: [{ pattern: '(a+)+$', strategy: 'redact' }] });
const pathoInput = `${'a'.repeat(RE2_PATHOLOGICAL_CHARS)}!`;
const pathological = {
  pattern: '(a+)+$',
  input: "'a' × n followed by '!' (no match, the worst case for backtracking)",
  re2_masker: { n: RE2_PATHOLOGICAL_CHARS, median_ms: timeMs(() => patho.maskText(pathoInput)) },
  js_regexp: JS_PATHOLOGICAL_LENGTHS.map((n) => {
    const input = `${'a'.repeat(n)}!`;
    const regex = /(a+)+$/;
    return { n, median_ms: timeMs(() => regex.test(input), 3) };
  }),
  // `(a+)+$` lets RE2 search backwards from the end; these are not end-anchored.
  re2_unanchored_1mb: ['(x+x+)+y', '(a|aa)+b', '(\\w+\\s?)+z'].map((pattern) => {
    const masker = createMasker({ rules: [{ pattern, strategy: 'redact' }] });
    const input = `${(pattern.includes('x') ? 'x' : 'a').repeat(RE2_PATHOLOGICAL_CHARS)}!`;
    return { pattern, n: RE2_PATHOLOGICAL_CHARS, median_ms: timeMs(() => masker.maskText(input)) };
  }),
  re2_same_inputs: JS_PATHOLOGICAL_LENGTHS.map((n) => {
    const input = `${'a'.repeat(n)}!`;
    return { n, median_ms: timeMs(() => patho.maskText(input), 3) };
  }),
};

const require = createRequire(import.meta.url);
const cpus = os.cpus();
const result = {
  benchmark: 'masking',
  date: new Date().toISOString(),
  machine: {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    re2: (require('re2/package.json') as { version: string }).version,
  },
  method: {
    corpus: `${corpus.length} characters of generated text (seed 20261125): ~45% log lines, ~35% JSON lines, ~20% prose, occasional PEM blocks`,
    secrets_masked: secretsMasked,
    rules: 'every detector, strategy redact',
    runs: RUNS,
    warmup: 'one untimed run per subject (also the output equality check)',
    figure:
      'MB/s = 10^6 characters / elapsed seconds; median, min, max over runs, subjects interleaved per round',
    stream_chunk_chars: CHUNK,
    short_values: `${SHORT_VALUES} generated cells (seed 20261126): names, cities, integers, decimals, dates, timestamps, ~7% e-mails, ~5% phones, ~3% cards, ~2% IPv4; one maskText call each; µs per value, median, min, max over ${SHORT_RUNS} runs (one untimed run first, also the output equality check); without prefilters only the first ${SHORT_VALUES_UNFILTERED} values`,
  },
  throughput,
  short_values: shortValuesResult,
  pathological,
};

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'results', `masking-${result.date.slice(0, 10)}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.table(throughput);
console.table(shortValuesResult);
console.log(JSON.stringify(pathological, null, 2));
console.log(`wrote ${out}`);
