/**
 * fast-check generators of valid secrets for the masking property tests: each value is
 * something the named detector must find (checksums and structure rules satisfied).
 */

import fc from 'fast-check';
import type { DetectorName } from '../src/contract.js';
import { ibanCheckDigits } from '../src/masking/iban.js';
import { luhnCheckDigit } from '../src/masking/luhn.js';

const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = `${ALNUM}_-`;

function group(text: string, sizes: number[], sep: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts.join(sep);
}

const card = fc
  .tuple(
    fc.constantFrom('4', '51', '55', '2221', '6011', '34', '37'),
    digits(18),
    // A URL writes a space as `%20` (or `+` in a query string).
    fc.constantFrom('', ' ', '-', '%20', '+'),
  )
  .map(([prefix, body, sep]) => {
    const length = prefix === '34' || prefix === '37' ? 15 : 16;
    const payload = (prefix + body).slice(0, length - 1);
    const number = payload + luhnCheckDigit(payload);
    return group(number, length === 15 ? [4, 6, 5] : [4, 4, 4, 4], sep);
  });

const ibanCountries: [string, fc.Arbitrary<string>][] = [
  ['DE', digits(18)],
  ['GB', fc.tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4, 4), digits(14)).map(([a, b]) => a + b)],
  ['NL', fc.tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4, 4), digits(10)).map(([a, b]) => a + b)],
  ['FR', digits(23)],
  ['NO', digits(11)],
];
const iban = fc
  .tuple(
    fc.oneof(...ibanCountries.map(([country, bban]) => bban.map((b) => [country, b] as const))),
    fc.constantFrom('', ' ', '%20', '+'),
  )
  .map(([[country, bban], space]) => {
    const compact = country + ibanCheckDigits(country, bban) + bban;
    return space ? (compact.match(/.{1,4}/g) as string[]).join(space) : compact;
  });

const ssn = fc
  .tuple(fc.integer({ min: 1, max: 899 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
  .filter(([area]) => area !== 666)
  .map(
    ([a, g, s]) =>
      `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
  );

const nanpPart = fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2)).map(([d, r]) => `${d}${r}`);
const phone = fc.oneof(
  fc.tuple(nanpPart, nanpPart, digits(4)).map(([a, e, s]) => `(${a}) ${e}-${s}`),
  fc.tuple(nanpPart, nanpPart, digits(4)).map(([a, e, s]) => `${a}-${e}-${s}`),
  fc.tuple(nanpPart, nanpPart, digits(4)).map(([a, e, s]) => `+1 ${a} ${e} ${s}`),
  fc.tuple(digits(4), digits(4)).map(([a, b]) => `+44 20 ${a} ${b}`),
  digits(8).map((d) => `+49 151 ${d}`),
  // As a URL writes them: the plus as `%2B`, spaces as `%20` or `+`.
  fc
    .tuple(nanpPart, nanpPart, digits(4), fc.constantFrom('%2B', '%2b'), fc.constantFrom('', '%20', '+'))
    .map(([a, e, s, plus, space]) => `${plus}1${space}${a}${space}${e}${space}${s}`),
  fc.tuple(nanpPart, nanpPart, digits(4)).map(([a, e, s]) => `${a}%20${e}%20${s}`),
);

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const hexGroup = chars('0123456789abcdef', 1, 4);
const ipv6 = fc.oneof(
  fc.array(hexGroup, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
  fc
    .tuple(
      fc.array(hexGroup, { minLength: 1, maxLength: 3 }),
      fc.array(hexGroup, { minLength: 1, maxLength: 3 }),
    )
    .map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = fc
  .tuple(
    fc.constantFrom('HS256', 'RS256', 'ES256'),
    fc.string({ maxLength: 30 }),
    fc.nat(),
    chars(B64URL, 16, 86),
  )
  .map(([alg, sub, iat, sig]) => `${b64url({ alg, typ: 'JWT' })}.${b64url({ sub, iat })}.${sig}`);

const aws = fc.oneof(
  fc
    .tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_ALNUM, 16, 16))
    .map(([prefix, rest]) => prefix + rest),
  fc
    .tuple(
      fc.constantFrom(
        'aws_secret_access_key = ',
        'AWS_SECRET_ACCESS_KEY=',
        '"SecretAccessKey": "',
        'AWS_SESSION_TOKEN=',
      ),
      chars(`${ALNUM}/+`, 40, 40),
    )
    .map(([key, secret]) => (key.startsWith('"') ? `${key}${secret}"` : key + secret)),
);

const privateKey = fc
  .tuple(
    fc.constantFrom('RSA ', 'EC ', 'OPENSSH ', ''),
    fc.array(chars(`${ALNUM}+/`, 64, 64), { minLength: 1, maxLength: 30 }),
  )
  .map(
    ([kind, lines]) =>
      `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${kind}PRIVATE KEY-----`,
  );

/**
 * A token of no known format, found by the name it is assigned to. It starts with two digits,
 * so that it never reads as code (`settings.x`) or a word of the filler.
 */
const NAMED_TOKEN_KEYS = [
  'JWT_SECRET=',
  'GITHUB_TOKEN=',
  'APP_KEY=',
  'X-Api-Key: ',
  'clientSecret: ',
  'export DJANGO_SECRET_KEY="',
  '"access_token": "',
  "api_key='",
] as const;
const namedToken = fc
  .tuple(fc.constantFrom(...NAMED_TOKEN_KEYS), digits(2), chars(`${ALNUM}-_+/`, 8, 40))
  .map(([key, lead, rest]) => {
    const quote = key.endsWith('"') ? '"' : key.endsWith("'") ? "'" : '';
    return `${key}${lead}${rest}${quote}`;
  });

const apiToken = fc.oneof(
  namedToken,
  chars(ALNUM, 36, 36).map((t) => `ghp_${t}`),
  fc.tuple(digits(10), digits(12), chars(ALNUM, 24, 24)).map(([a, b, c]) => `xoxb-${a}-${b}-${c}`),
  chars(ALNUM, 24, 24).map((t) => `sk_live_${t}`),
  chars(ALNUM, 48, 48).map((t) => `sk-${t}`),
  fc
    .tuple(fc.constantFrom('proj', 'svcacct', 'admin', 'ant-api03', 'ant-admin01'), chars(B64URL, 40, 120))
    .map(([kind, t]) => `sk-${kind}-${t}`),
  chars(B64URL, 35, 35).map((t) => `AIza${t}`),
  chars(`${ALNUM}-._~+/`, 20, 60).map((t) => `Bearer ${t}`),
);

/**
 * A password's characters: none that ends a URL's userinfo or a connection string's value.
 * It ends in `!`, which no filler holds: the same word in the surrounding text is no password.
 */
const passwordValue = chars(`${ALNUM}!*-._~`, 7, 23).map((v) => `${v}!`);
const password = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('postgres', 'postgresql', 'mysql', 'https', 'redis', 'amqp'),
      chars('abcdefghijklmnopqrstuvwxyz', 3, 8),
      passwordValue,
      fc.constantFrom('db', 'db.internal', '10.0.0.5', '[::1]'),
    )
    .map(([scheme, user, pw, host]) => `${scheme}://${user}:${pw}@${host}:5432/app`),
  fc
    .tuple(
      fc.constantFrom(
        'password=',
        'PASSWORD=',
        'Pwd=',
        'DB_PASSWORD=',
        'PGPASSWORD=',
        'MYSQL_PWD=',
        'DB_PASS=',
      ),
      passwordValue,
    )
    .map(([key, pw]) => key + pw),
  fc
    .tuple(
      fc.constantFrom('password=', 'DB_PASSWORD = ', '"password": ', 'passwd:'),
      fc.constantFrom('"', "'"),
      passwordValue,
    )
    .map(([key, quote, pw]) => `${key}${quote}${pw}${quote}`),
  passwordValue.map((pw) => `PWD={${pw}}`),
  passwordValue.map((pw) => `password: ${pw}`),
);

export const secretArbitraries: Readonly<Record<DetectorName, fc.Arbitrary<string>>> = {
  email: fc.oneof(
    fc
      .tuple(
        chars('abcdefghijklmnopqrstuvwxyz0123456789._+-', 1, 20),
        chars('abcdefghij0123', 1, 10),
        fc.constantFrom('com', 'org', 'io', 'de'),
      )
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
    // Internationalised: letters of other scripts, an apostrophe inside, a CJK local part.
    fc
      .tuple(
        fc.oneof(
          chars('abcxyzéñüжπ.', 1, 12),
          fc
            .tuple(chars('abcéñ', 1, 8), fc.constantFrom("'", '’'), chars('abcdü', 1, 8))
            .map((p) => p.join('')),
          chars('用户名', 1, 4),
        ),
        chars('abcäö例子пр', 1, 10),
        fc.constantFrom('com', 'de', 'рф', '中国'),
      )
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
  ),
  credit_card: card,
  iban,
  us_ssn: ssn,
  phone,
  ipv4,
  ipv6,
  jwt,
  aws_access_key: aws,
  private_key: privateKey,
  api_token: apiToken,
  password,
};

/** The part of a generated secret that must not survive (the credential of `Bearer x`, a password). */
export function secretCore(secret: string): string {
  if (secret.startsWith('Bearer ')) return secret.slice('Bearer '.length);
  // An AWS secret by its name: the value.
  const aws =
    /^(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY|"SecretAccessKey"|AWS_SESSION_TOKEN) ?[=:] ?"?([^"]+)"?$/.exec(
      secret,
    );
  if (aws) return aws[1] as string;
  // A token by its name: the value.
  const key = NAMED_TOKEN_KEYS.find((k) => secret.startsWith(k));
  if (key) return secret.slice(key.length).replace(/["']$/, '');
  // A password: a URL's, between its userinfo's `:` and the `@`; a named one, its value.
  const inUrl = /^[a-z]+:\/\/[a-z]+:([^@]+)@/.exec(secret);
  if (inUrl) return inUrl[1] as string;
  const named = /^[A-Za-z_"]*(?:pass|PASS|Pass|pwd|PWD|Pwd)[A-Za-z_"]* ?[=:] ?["'{]?([^"'}]+)["'}]?$/.exec(
    secret,
  );
  return named ? (named[1] as string) : secret;
}

/** Random surrounding text: words, numbers, punctuation, a little Unicode. */
export const filler = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ') },
    { weight: 3, arbitrary: fc.constantFrom(...'0123456789') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(' ', ' ', '\n', '.', '-', ':', '/', '@', '+', '_', '(', ')', '=', ','),
    },
    { weight: 1, arbitrary: fc.constantFrom('é', 'ß', '€', '😀', '中') },
  ),
  maxLength: 80,
});

export const separator = fc.constantFrom(' ', '\n', '\t', ' "', '" ', ', ', ' (', ') ');

/** Cut a text at random points. */
export function chunked(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let at = 0;
  for (const p of points) {
    pieces.push(text.slice(at, p));
    at = p;
  }
  pieces.push(text.slice(at));
  return pieces;
}
