import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaskRule } from '../contract.js';
import { InvalidMaskRuleError, InvalidOptionError, InvalidRequestError } from '../errors.js';
import { hashToken } from './keyed-hash.js';
import { createMasker } from './masker.js';
import { REDACTED } from './strategies.js';

const hashKey = 'an operator key of 32 characters';
const keyBytes = new TextEncoder().encode(hashKey);

describe('createMasker options', () => {
  it('names the bad option', () => {
    const bad: [unknown, string][] = [
      [{ rules: [], hashKey: 'short' }, 'hashKey'],
      [{ rules: [], hashKey: 42 }, 'hashKey'],
      [{ rules: [], regexEngine: 'pcre' }, 'regexEngine'],
      [{ rules: 'x' }, 'rules'],
      [{}, 'rules'],
    ];
    for (const [options, option] of bad) {
      const error = (() => {
        try {
          createMasker(options as never);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
    }
  });

  it('accepts a byte key and generates a per-process key when none is given', () => {
    const a = createMasker({ rules: [] });
    const b = createMasker({ rules: [] });
    const rule: MaskRule = { column: 'x', strategy: 'hash' };
    expect(a.maskValue('v', rule)).toBe(b.maskValue('v', rule));
    const c = createMasker({ rules: [], hashKey: keyBytes });
    expect(c.maskValue('v', rule)).toBe(hashToken(keyBytes, 'v'));
    expect(createMasker({ rules: [], hashKey }).maskValue('v', rule)).toBe(hashToken(keyBytes, 'v'));
  });

  it.each([
    [{ column: 'a', strategy: 'scramble' }, /strategy/],
    [{ column: 'a', strategy: 'partial', keep: -1 }, /keep/],
    [{ column: 'a', strategy: 'partial', keep: 1.5 }, /keep/],
    [{ strategy: 'redact' }, /exactly one/],
    [{ column: 'a', path: '$.a', strategy: 'redact' }, /exactly one/],
    [{ column: 'a..b', strategy: 'redact' }, /column/],
    [{ column: 'a.b.c.d', strategy: 'redact' }, /column/],
    [{ detector: 'passport', strategy: 'redact' }, /unknown detector/],
    [{ pattern: '(a)\\1', strategy: 'redact' }, /RE2/],
    [{ pattern: '(?<=a)b', strategy: 'redact' }, /RE2/],
    [{ pattern: 'a*', strategy: 'redact' }, /empty string/],
    [{ pattern: '\\b', strategy: 'redact' }, /empty string/],
    [{ path: 'a.b', strategy: 'redact' }, /must start with \$/],
    [{ path: '$[', strategy: 'redact' }, /unbalanced/],
    [{ path: '$..book[?(@.price<10)]', strategy: 'redact' }, /filter/],
    [{ path: '$.a[(@.length-1)]', strategy: 'redact' }, /script/],
    ['not a rule', /object/],
  ])('rejects %j', (rule, message) => {
    expect(() => createMasker({ rules: [rule as MaskRule] })).toThrow(InvalidMaskRuleError);
    expect(() => createMasker({ rules: [rule as MaskRule] })).toThrow(message);
  });

  it('says which rule is wrong', () => {
    expect(() =>
      createMasker({
        rules: [
          { column: 'a', strategy: 'redact' },
          { pattern: '(', strategy: 'redact' },
        ],
      }),
    ).toThrow(/rules\[1\]/);
  });

  it('reports whether it has rules', () => {
    expect(createMasker({ rules: [] }).hasRules).toBe(false);
    expect(createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] }).hasRules).toBe(true);
  });
});

describe('maskValue', () => {
  const masker = createMasker({ rules: [], hashKey });
  it('applies the rule strategy and keep', () => {
    expect(masker.maskValue('4111111111111111', { column: 'c', strategy: 'partial', keep: 2 })).toBe(
      '**************11',
    );
    expect(masker.maskValue('alice@example.com', { detector: 'email', strategy: 'format' })).toMatch(
      /^[a-z0-9]{5}@[a-z]{7}\.invalid$/,
    );
  });
  it('validates a rule it has not seen', () => {
    expect(() => masker.maskValue('x', { column: 'c', strategy: 'nope' } as never)).toThrow(
      InvalidMaskRuleError,
    );
  });
});

describe('maskText', () => {
  it('returns text unchanged without detector or pattern rules', () => {
    const masker = createMasker({ rules: [{ column: 'email', strategy: 'redact' }] });
    expect(masker.maskText('alice@example.com')).toBe('alice@example.com');
  });

  it('uses each detector rule strategy, and the first rule for a detector', () => {
    const masker = createMasker({
      hashKey,
      rules: [
        { detector: 'email', strategy: 'hash' },
        { detector: 'credit_card', strategy: 'partial' },
        { detector: 'email', strategy: 'redact' },
      ],
    });
    expect(masker.maskText('alice@example.com paid 4111 1111 1111 1111')).toBe(
      `${hashToken(keyBytes, 'alice@example.com')} paid ***************1111`,
    );
  });

  it('runs operator patterns on RE2', () => {
    const masker = createMasker({ rules: [{ pattern: 'EMP-\\d{6}', strategy: 'redact' }] });
    expect(masker.maskText('id EMP-123456, EMP-12')).toBe(`id ${REDACTED}, EMP-12`);
  });

  it('finishes a pathological pattern quickly on a long input', () => {
    const masker = createMasker({ rules: [{ pattern: '(a+)+$', strategy: 'redact' }] });
    const input = `${'a'.repeat(100_000)}!`;
    const started = performance.now();
    expect(masker.maskText(input)).toBe(input);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(masker.maskText('aaaa')).toBe(REDACTED);
  });

  it('merges overlapping findings into one replacement', () => {
    const masker = createMasker({
      rules: [
        { detector: 'api_token', strategy: 'redact' },
        { pattern: 'secret-[a-z]+', strategy: 'hash' },
      ],
    });
    expect(masker.maskText('Bearer abcdefghijklmnop-secret-value!')).toBe(`Bearer ${REDACTED}!`);
  });

  it('removes the secret for the null strategy', () => {
    const masker = createMasker({ rules: [{ detector: 'us_ssn', strategy: 'null' }] });
    expect(masker.maskText('ssn: 123-45-6789.')).toBe('ssn: .');
  });

  it('rejects non-string text', () => {
    const masker = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
    expect(() => masker.maskText(42 as never)).toThrow(InvalidRequestError);
  });
});

describe('maskRow', () => {
  const masker = createMasker({
    hashKey,
    rules: [
      { column: 'public.users.email', strategy: 'partial' },
      { column: 'orders.card', strategy: 'redact' },
      { column: 'ssn', strategy: 'null' },
      { detector: 'email', strategy: 'redact' },
    ],
  });
  const columns = [
    { table: 'public.users', column: 'email' },
    { table: 'audit.users', column: 'email' },
    { table: 'sales.orders', column: 'CARD' },
    { table: 'people', column: 'ssn' },
    { table: 'public.users', column: 'note' },
    { column: 'email' },
    { table: null, column: 'card' },
    { table: 'public.users', column: 'profile' },
    { table: 'public.users', column: 'id' },
  ];
  const values = [
    'alice@example.com',
    'bob@example.com',
    '4111111111111111',
    '123-45-6789',
    'write to carol@example.com',
    'dave@example.com',
    '5500000000000004',
    { contact: { mail: 'erin@example.com' }, n: 1 },
    42,
  ];

  it('masks chosen columns whole and runs detectors on the rest', () => {
    expect(masker.maskRow(columns, values)).toEqual([
      '*************.com',
      REDACTED,
      REDACTED,
      null,
      `write to ${REDACTED}`,
      '************.com',
      REDACTED,
      { contact: { mail: REDACTED }, n: 1 },
      42,
    ]);
  });

  it('does not modify its input', () => {
    const copy = structuredClone(values);
    masker.maskRow(columns, values);
    expect(values).toEqual(copy);
  });

  it('refuses columns and values of different lengths', () => {
    expect(() => masker.maskRow(columns, values.slice(1))).toThrow(InvalidRequestError);
  });

  it('masks a column whose name a column_pattern matches, in any table, lower-cased', () => {
    const byName = createMasker({
      rules: [
        { column: 'users.email', strategy: 'partial' },
        { column_pattern: 'passw(or)?d|secret|(^|_)token$', strategy: 'redact' },
      ],
    });
    expect(
      byName.maskRow(
        [
          { table: 'public.accounts', column: 'encrypted_password' },
          { table: 'accounts', column: 'Reset_Password_Token' },
          { table: null, column: 'otp_secret' },
          { table: 'accounts', column: 'tokens_used' },
          { table: 'accounts', column: 'name' },
          { table: 'users', column: 'email' },
        ],
        ['$2a$12$abc', 'rst-123', 'JBSWY3DP', '7', 'Ada', 'ada@example.com'],
      ),
    ).toEqual([REDACTED, REDACTED, REDACTED, '7', 'Ada', '***********.com']);
    expect(byName.columnRule({ table: 'x', column: 'api_secret' })?.strategy).toBe('redact');
    expect(byName.columnRule({ table: 'x', column: 'title' })).toBeUndefined();
  });

  it("a column_pattern's exceptions spare those columns where their table is known, and no others", () => {
    const spared = createMasker({
      rules: [
        {
          column_pattern: 'token',
          strategy: 'redact',
          except: ['pg_ts_parser.prstoken', 'public.sessions.token_kind'],
        },
        { column: 'prstoken', strategy: 'null' },
      ],
    });
    expect(
      spared.maskRow(
        [
          { table: 'pg_catalog.pg_ts_parser', column: 'prstoken' },
          { table: '"pg_ts_parser"', column: 'PRSTOKEN' },
          { table: 'public.sessions', column: 'token_kind' },
          // Unknown origin: still masked; by the next rule when this one spares it.
          { table: null, column: 'prstoken' },
          { table: 'sessions', column: 'token_kind' },
          { table: 'other.sessions', column: 'token_kind' },
          { table: 'pg_ts_parser', column: 'token' },
          { table: 'x', column: 'prstoken' },
        ],
        ['3713', '3713', 'bearer', 'a', 'b', 'c', 'd', 'e'],
      ),
    ).toEqual([null, null, 'bearer', REDACTED, REDACTED, REDACTED, REDACTED, REDACTED]);
    expect(() =>
      createMasker({ rules: [{ column_pattern: 'token', strategy: 'redact', except: ['prstoken'] }] }),
    ).toThrow(/except\[0\]: "prstoken" is not table.column/);
    expect(() =>
      createMasker({ rules: [{ column: 'a', strategy: 'redact', except: ['t.a'] } as never] }),
    ).toThrow(/except is only for a column_pattern rule/);
  });

  it('a column that may hold any masked column is masked by the first column rule', () => {
    const rules = createMasker({
      rules: [
        { detector: 'email', strategy: 'redact' },
        { column_pattern: 'secret', strategy: 'null' },
        { column: 'users.email', strategy: 'redact' },
      ],
    });
    expect(rules.maskRow([{ table: null, column: 'lower', any: true }], ['hunter2'])).toEqual([null]);
  });

  it('masks a derived value whole where its rule would keep part of it', () => {
    const masker = createMasker({
      rules: [
        { column: 'users.email', strategy: 'partial', keep: 4 },
        { column: 'cards.number', strategy: 'format' },
        { column: 'users.ssn', strategy: 'hash' },
      ],
      hashKey,
    });
    const email = { table: 'users', column: 'email' };
    const number = { table: 'cards', column: 'number' };
    // `email || ssn`: the last characters are the ssn's, not the email's.
    const value = 'ada@example.com 123-45-6789';
    expect(masker.maskRow([email], [value])).toEqual(['***********************6789']);
    expect(masker.maskRow([{ ...email, derived: true }], [value])).toEqual([REDACTED]);
    expect(masker.maskRow([{ ...number, derived: true }], ['(4111-1111,ada)'])).toEqual([REDACTED]);
    expect(masker.maskRow([{ table: null, column: 'email', any: true }], [value])).toEqual([REDACTED]);
    // Whole-value strategies are kept: a hash still joins, redact and null stay.
    const ssn = { table: 'users', column: 'ssn' };
    expect(masker.maskRow([{ ...ssn, derived: true }], ['x'])).toEqual(masker.maskRow([ssn], ['x']));
    expect(masker.columnRule({ ...email, derived: true })).toMatchObject({ strategy: 'redact' });
    expect(masker.columnRule({ ...email, derived: true })?.mask(value)).toBe(REDACTED);
    expect(masker.columnRule(email)?.mask(value)).toBe('***********************6789');
  });

  it('refuses a column_pattern RE2 cannot compile', () => {
    expect(() => createMasker({ rules: [{ column_pattern: '(?<=a)b', strategy: 'redact' }] })).toThrow(
      /column_pattern .* is not a valid RE2 expression/,
    );
    expect(() =>
      createMasker({ rules: [{ column: 'a', column_pattern: 'b', strategy: 'redact' } as never] }),
    ).toThrow(/exactly one of column, column_pattern/);
  });

  it('matches quoted identifiers', () => {
    const quoted = createMasker({ rules: [{ column: '"my.schema"."Users".email', strategy: 'redact' }] });
    expect(quoted.maskRow([{ table: '"my.schema".users', column: 'email' }], ['x'])).toEqual([REDACTED]);
    expect(quoted.maskRow([{ table: 'other.users', column: 'email' }], ['x'])).toEqual(['x']);
  });
});

describe('columnRule', () => {
  const rules: MaskRule[] = [
    { column: 'public.users.email', strategy: 'partial' },
    { column: 'users.phone', strategy: 'partial', keep: 2 },
    { column: 'ssn', strategy: 'hash' },
    { column: 'email', strategy: 'redact' },
    { column: '"odd.table".card', strategy: 'format' },
    { column: 'secret', strategy: 'null' },
    { detector: 'email', strategy: 'redact' },
  ];
  const masker = createMasker({ rules, hashKey });

  it('names the first rule maskRow would pick, with its strategy and keep', () => {
    expect(masker.columnRule({ table: 'public.users', column: 'EMAIL' })).toMatchObject({
      strategy: 'partial',
      keep: 4,
    });
    expect(masker.columnRule({ table: 'crm.contacts', column: 'email' })?.strategy).toBe('redact');
    expect(masker.columnRule({ table: 'users', column: 'phone' })).toMatchObject({
      strategy: 'partial',
      keep: 2,
    });
    expect(masker.columnRule({ table: 'orders', column: 'phone' })).toBeUndefined();
    expect(masker.columnRule({ column: 'note' })).toBeUndefined();
  });

  it('masks a value exactly as maskRow masks it in that column', () => {
    const descriptor = fc.record({
      table: fc.constantFrom(
        undefined,
        null,
        'users',
        'public.users',
        'crm.users',
        'orders',
        '"odd.table"',
        '"bad',
      ),
      column: fc.constantFrom('email', 'Phone', 'ssn', 'card', 'secret', 'note'),
    });
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('ada@example.com', '4111 1111 1111 1111', '', null, 42),
    );
    fc.assert(
      fc.property(descriptor, value, (d, v) => {
        const rule = masker.columnRule(d);
        const [expected] = masker.maskRow([d], [v]);
        if (rule) expect(rule.mask(v)).toEqual(expected);
        else if (typeof v === 'string') expect(expected).toBe(masker.maskText(v));
        else expect(expected).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('maskJson', () => {
  const masker = createMasker({
    hashKey,
    rules: [
      { path: '$.customers[*].ssn', strategy: 'redact' },
      { path: '$.customers[*].card', strategy: 'partial' },
      { path: '$.customers[*].balance', strategy: 'null' },
      { path: '$..secret', strategy: 'hash' },
      { detector: 'email', strategy: 'redact' },
    ],
  });
  const doc = {
    customers: [
      {
        name: 'Alice',
        ssn: '123-45-6789',
        card: 4111111111111111,
        balance: 10.5,
        email: 'alice@example.com',
      },
      { name: 'Bob', ssn: 123456789, card: '5500 0000 0000 0004', notes: ['mail bob@example.com'] },
    ],
    meta: { secret: { nested: 'alice@example.com' } },
    count: 2,
  };

  it('masks path targets by strategy and string leaves by detector', () => {
    expect(masker.maskJson(doc)).toEqual({
      customers: [
        { name: 'Alice', ssn: REDACTED, card: '************1111', balance: null, email: REDACTED },
        { name: 'Bob', ssn: REDACTED, card: '***************0004', notes: [`mail ${REDACTED}`] },
      ],
      meta: { secret: hashToken(keyBytes, '{"nested":"alice@example.com"}') },
      count: 2,
    });
  });

  it('does not modify the input document', () => {
    const copy = structuredClone(doc);
    masker.maskJson(doc);
    expect(doc).toEqual(copy);
  });

  it('masks the root when a path selects it', () => {
    const root = createMasker({ rules: [{ path: '$', strategy: 'redact' }] });
    expect(root.maskJson({ a: 1 })).toBe(REDACTED);
    expect(root.maskJson('x')).toBe(REDACTED);
  });

  it('masks an ancestor once when a descendant is also selected', () => {
    const m = createMasker({
      hashKey,
      rules: [
        { path: '$.a.b', strategy: 'redact' },
        { path: '$.a', strategy: 'hash' },
      ],
    });
    expect(m.maskJson({ a: { b: 'x' } })).toEqual({ a: hashToken(keyBytes, '{"b":"x"}') });
  });

  it('masks member names, telling apart names masked alike, and keeps the members in order', () => {
    const m = createMasker({
      rules: [
        { detector: 'email', strategy: 'redact' },
        { path: "$.byMail['bob@example.com']", strategy: 'null' },
      ],
    });
    const input = {
      byMail: { 'ann@example.com': 1, [REDACTED]: 0, 'bob@example.com': 2, 'cy@example.com': 3, plain: 4 },
    };
    const out = m.maskJson(input) as { byMail: Record<string, unknown> };
    expect(Object.entries(out.byMail)).toEqual([
      [`${REDACTED} (2)`, 1],
      [REDACTED, 0],
      // The path matched the name as written; the name is masked as well.
      [`${REDACTED} (3)`, null],
      [`${REDACTED} (4)`, 3],
      ['plain', 4],
    ]);
    expect(Object.keys(input.byMail)).toContain('ann@example.com');
  });

  it('masks class instances and objects with toJSON as JSON.stringify writes them', () => {
    class Customer {
      constructor(
        readonly email: string,
        readonly ssn: string,
      ) {}
    }
    const withToJson = { toJSON: () => ({ contact: 'write to ann@example.com', ssn: '1' }) };
    const m = createMasker({
      rules: [
        { detector: 'email', strategy: 'redact' },
        { path: '$..ssn', strategy: 'redact' },
      ],
    });
    const out = m.maskJson({
      customer: new Customer('bob@example.com', '123-45-6789'),
      withToJson,
      at: new Date(0),
      list: [new Customer('cy@example.com', '987-65-4321')],
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual({
      customer: { email: REDACTED, ssn: REDACTED },
      withToJson: { contact: `write to ${REDACTED}`, ssn: REDACTED },
      at: '1970-01-01T00:00:00.000Z',
      list: [{ email: REDACTED, ssn: REDACTED }],
    });
    expect(m.maskJson(new Customer('dee@example.com', '1'))).toEqual({ email: REDACTED, ssn: REDACTED });
    // What cannot be written as JSON is left as it is: serialising it fails, so nothing goes out.
    class Ledger {
      readonly total = 1n;
    }
    const ledger = new Ledger();
    expect((m.maskJson({ ledger }) as { ledger: unknown }).ledger).toBe(ledger);
  });

  it('handles scalars, __proto__ keys and deep nesting', () => {
    const m = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
    expect(m.maskJson('a@b.io')).toBe(REDACTED);
    expect(m.maskJson(null)).toBeNull();
    const parsed = JSON.parse('{"__proto__": {"x": "a@b.io"}}');
    const masked = m.maskJson(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value).toEqual({ x: REDACTED });
    let deep: unknown = 'a@b.io';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let out = m.maskJson(deep);
    for (let i = 0; i < 100_000; i++) out = (out as unknown[])[0];
    expect(out).toBe(REDACTED);
  });
});
