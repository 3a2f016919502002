import { describe, expect, it } from 'vitest';
import type { DetectorName } from '../contract.js';
import { DETECTOR_NAMES, detect, detectors } from './detectors.js';
import { createMasker } from './masker.js';
import type { RegexEngine } from './regex-engine.js';

function found(name: DetectorName, text: string, engine: RegexEngine = 're2'): string[] {
  return detect(text, { detectors: [name], regexEngine: engine }).map((m) => text.slice(m.start, m.end));
}

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
  'KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

// [detector, text, expected matches]
const POSITIVE: [DetectorName, string, string[]][] = [
  ['email', 'mail alice@example.com now', ['alice@example.com']],
  ['email', 'to: bob.smith+tag@mail.example.co.uk.', ['bob.smith+tag@mail.example.co.uk']],
  ['email', 'GET /customers?email=ann%40example.com&page=2', ['ann%40example.com']],
  // As web pages write addresses: the at-sign as an HTML or XML character reference.
  [
    'email',
    '<a href="mailto:ann&#64;example.com">ann&#x40;example.org</a>, bob&commat;example.net, cy&#064;x.io',
    ['ann&#64;example.com', 'ann&#x40;example.org', 'bob&commat;example.net', 'cy&#064;x.io'],
  ],
  ['credit_card', 'card 4111111111111111 ok', ['4111111111111111']],
  // Grouped as formatters and web pages group them: no-break spaces, Unicode dashes, fullwidth.
  ['credit_card', 'card 4111\u00a01111\u00a01111\u00a01111 ok', ['4111\u00a01111\u00a01111\u00a01111']],
  ['credit_card', 'card 4111\u202f1111\u202f1111\u202f1111', ['4111\u202f1111\u202f1111\u202f1111']],
  ['credit_card', 'card 4111\u20131111\u20131111\u20131111', ['4111\u20131111\u20131111\u20131111']],
  ['credit_card', 'card ４１１１ １１１１ １１１１ １１１１', ['４１１１ １１１１ １１１１ １１１１']],
  ['us_ssn', 'ssn 123\u201145\u20116789', ['123\u201145\u20116789']],
  [
    'iban',
    'iban FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189',
    ['FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189'],
  ],
  ['email', 'mail ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ now', ['ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ']],
  // Internationalised addresses (RFC 6531): the whole address, not its ASCII tail.
  ['email', 'from josé.garcía@example.com today', ['josé.garcía@example.com']],
  ['email', 'Ana <ana.müller@exämple.de>, thanks', ['ana.müller@exämple.de']],
  ['email', 'иван@пример.рф', ['иван@пример.рф']],
  ['email', '请联系ana@例子.中国。谢谢', ['ana@例子.中国']],
  ['email', '«ana@exämple.de», 邮件：ana@例子.中国、谢谢', ['ana@exämple.de', 'ana@例子.中国']],
  ['email', '请发邮件到support@example.com谢谢', ['support@example.com']],
  ['email', '用户@例子.中国', ['用户@例子.中国']],
  // A label with letters of other scripts of 24 characters (the most read), an ASCII one of 63.
  [
    'email',
    `to ana@ü${'a'.repeat(23)}.${'b'.repeat(63)}.de`,
    [`ana@ü${'a'.repeat(23)}.${'b'.repeat(63)}.de`],
  ],
  // An apostrophe inside a local part, not one that quotes the address.
  [
    'email',
    "from mary.o'connor@example.com and 'ann@example.com'",
    ["mary.o'connor@example.com", 'ann@example.com'],
  ],
  ['email', 'o’brien@example.com', ['o’brien@example.com']],
  // A decomposed accent (e and U+0301) is part of the address too.
  ['email', 'jose\u0301@example.com', ['jose\u0301@example.com']],
  ['credit_card', 'card 4111 1111 1111 1111, exp', ['4111 1111 1111 1111']],
  ['credit_card', 'card 5500-0000-0000-0004', ['5500-0000-0000-0004']],
  ['credit_card', 'amex 3782 822463 10005', ['3782 822463 10005']],
  ['credit_card', 'ref 12 4111 1111 1111 1111 end', ['4111 1111 1111 1111']],
  // As web pages keep a number on one line: `&nbsp;` between its groups.
  ['phone', '<td>+44&nbsp;20&nbsp;7946&nbsp;0018</td>', ['+44&nbsp;20&nbsp;7946&nbsp;0018']],
  ['phone', 'Call&nbsp;(415)&nbsp;555-2671 today', ['(415)&nbsp;555-2671']],
  [
    'credit_card',
    'card:&nbsp;4111&nbsp;1111&nbsp;1111&nbsp;1111<br>',
    ['4111&nbsp;1111&nbsp;1111&nbsp;1111'],
  ],
  [
    'iban',
    '<p>DE89&nbsp;3704&nbsp;0044&nbsp;0532&nbsp;0130&nbsp;00</p>',
    ['DE89&nbsp;3704&nbsp;0044&nbsp;0532&nbsp;0130&nbsp;00'],
  ],
  ['credit_card', 'a&nbsp;b 4111&nbsp;&nbsp;1111 1111 1111', []],
  // The same space as a numeric reference, decimal or hexadecimal.
  ['phone', '<td>+44&#160;20&#160;7946&#160;0018</td>', ['+44&#160;20&#160;7946&#160;0018']],
  ['phone', 'Call&#xa0;(415)&#xA0;555-2671 today', ['(415)&#xA0;555-2671']],
  [
    'credit_card',
    'card:&#160;4111&#160;1111&#160;1111&#160;1111<br>',
    ['4111&#160;1111&#160;1111&#160;1111'],
  ],
  ['credit_card', '<td>5500&#XA0;0000&#xa0;0000&#160;0004</td>', ['5500&#XA0;0000&#xa0;0000&#160;0004']],
  [
    'iban',
    '<p>DE89&#xA0;3704&#160;0044&nbsp;0532&#xa0;0130&#160;00</p>',
    ['DE89&#xA0;3704&#160;0044&nbsp;0532&#xa0;0130&#160;00'],
  ],
  // Other references are not separators (this card would be Luhn-valid if `&#161;` were one).
  ['credit_card', '4111&#160;1111&#161;1111&#160;1111', []],
  ['phone', '+44&#32;20&#32;7946&#32;0018', []],
  // As a URL writes them: a space as `%20` or `+`, a plus sign as `%2B`.
  ['credit_card', 'GET /pay?card=4111%201111%201111%201111&x=1', ['4111%201111%201111%201111']],
  ['credit_card', 'card=4111+1111+1111+1111&exp=12', ['4111+1111+1111+1111']],
  ['credit_card', 'note=card%204111%201111%201111%201111', ['4111%201111%201111%201111']],
  ['credit_card', 'n=%205500%200000%200000%200004%20', ['5500%200000%200000%200004']],
  ['iban', 'iban=DE89%203704%200044%200532%200130%2000&x', ['DE89%203704%200044%200532%200130%2000']],
  ['iban', 'iban=DE89+3704+0044+0532+0130+00', ['DE89+3704+0044+0532+0130+00']],
  ['phone', 'GET /users?phone=%2B14155552671', ['%2B14155552671']],
  ['phone', 'to=%2b44%2020%207946%200958&x', ['%2b44%2020%207946%200958']],
  ['phone', 'q=Call%20%2B1%20415%20555%202671', ['%2B1%20415%20555%202671']],
  ['phone', 'phone=%2B1+415+555+2671&a=1', ['%2B1+415+555+2671']],
  ['phone', 'tel=415%20555%202671&b', ['415%20555%202671']],
  ['phone', 'tel=%2B442079460958%202023', ['%2B442079460958']],
  ['phone', 'q=call%20415%20555%202671%20now', ['415%20555%202671']],
  ['phone', 'q=call%201-415-555-2671', ['1-415-555-2671']],
  ['phone', 'q=call%20(415)%20555-2671', ['(415)%20555-2671']],
  ['iban', 'q=iban%20DE89%203704%200044%200532%200130%2000', ['DE89%203704%200044%200532%200130%2000']],
  // After a URL's encoded space, which leaves no word boundary before the secret.
  ['us_ssn', 'q=ssn%20123-45-6789%20ok', ['123-45-6789']],
  ['ipv4', 'q=from%20192.168.1.10%20to', ['192.168.1.10']],
  ['aws_access_key', 'q=key%20AKIAIOSFODNN7EXAMPLE', ['AKIAIOSFODNN7EXAMPLE']],
  [
    'api_token',
    'q=token%20ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
  ],
  ['jwt', `q=auth%20${JWT}%20x`, [JWT]],
  ['iban', 'pay DE89 3704 0044 0532 0130 00 today', ['DE89 3704 0044 0532 0130 00']],
  ['iban', 'GB82WEST12345698765432', ['GB82WEST12345698765432']],
  ['iban', 'BE68539007547034 5678', ['BE68539007547034']],
  ['iban', 'NO9386011117947', ['NO9386011117947']],
  ['us_ssn', 'ssn 123-45-6789.', ['123-45-6789']],
  ['phone', 'call (415) 555-2671 now', ['(415) 555-2671']],
  ['phone', 'call 415-555-2671', ['415-555-2671']],
  ['phone', 'call 1-415-555-2671', ['1-415-555-2671']],
  ['phone', 'tel +1 415 555 2671', ['+1 415 555 2671']],
  ['phone', 'tel +44 20 7946 0958 2023 report', ['+44 20 7946 0958']],
  ['phone', 'tel +4915112345678', ['+4915112345678']],
  ['phone', 'tel +33 1 23 45 67 89.', ['+33 1 23 45 67 89']],
  ['ipv4', 'from 192.168.1.10 and 10.0.0.255.', ['192.168.1.10', '10.0.0.255']],
  ['ipv6', 'from 2001:db8::8a2e:370:7334 ok', ['2001:db8::8a2e:370:7334']],
  ['ipv6', 'full 2001:0db8:85a3:0000:0000:8a2e:0370:7334', ['2001:0db8:85a3:0000:0000:8a2e:0370:7334']],
  ['ipv6', 'mapped ::ffff:192.168.1.1 ok', ['::ffff:192.168.1.1']],
  ['jwt', `auth ${JWT} done`, [JWT]],
  [
    'aws_access_key',
    'key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A',
    ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'],
  ],
  [
    'aws_access_key',
    '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ],
  [
    'aws_access_key',
    '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEOr//+/x=="}',
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'IQoJb3JpZ2luX2VjEOr//+/x=='],
  ],
  ['private_key', `before\n${PEM}\nafter`, [PEM]],
  ['api_token', 'gh ghp_abcdefghijklmnopqrstuvwxyz0123456789', ['ghp_abcdefghijklmnopqrstuvwxyz0123456789']],
  [
    'api_token',
    `pat github_pat_11ABCDEFG0123456789_${'a'.repeat(59)}`,
    [`github_pat_11ABCDEFG0123456789_${'a'.repeat(59)}`],
  ],
  ['api_token', 'slack xoxb-1234567890-0987654321-abcdefghij', ['xoxb-1234567890-0987654321-abcdefghij']],
  [
    'api_token',
    'stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc rk_live_abcdefghijkl',
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'rk_live_abcdefghijkl'],
  ],
  ['api_token', 'Authorization: Bearer abc.def-ghi_jkl~mno+pqr/stu==\r\n', ['abc.def-ghi_jkl~mno+pqr/stu==']],
  [
    'api_token',
    `OPENAI_API_KEY=sk-${'A1b2'.repeat(12)} and sk-proj-${'Ab9_-'.repeat(30)}`,
    [`sk-${'A1b2'.repeat(12)}`, `sk-proj-${'Ab9_-'.repeat(30)}`],
  ],
  [
    'api_token',
    `ANTHROPIC_API_KEY="sk-ant-api03-${'xY7-'.repeat(24)}AA"`,
    [`sk-ant-api03-${'xY7-'.repeat(24)}AA`],
  ],
  ['api_token', `key=AIza${'Sy0_-'.repeat(7)}&q=1`, [`AIza${'Sy0_-'.repeat(7)}`]],
  // Tokens and keys of no known format, by the name they are assigned to.
  [
    'api_token',
    'JWT_SECRET=s3cr3t-jwt-key\nexport DJANGO_SECRET_KEY="django-insecure-3x$(k!@#"\nAPP_KEY=base64:AbCdEf0123==',
    ['s3cr3t-jwt-key', 'django-insecure-3x$(k!@#', 'base64:AbCdEf0123=='],
  ],
  [
    'api_token',
    '{"access_token": "ya29.a0AfH6SMBx", "token_type": "Bearer", "refresh_token": "1//0gAbCdEfGh"}',
    ['ya29.a0AfH6SMBx', '1//0gAbCdEfGh'],
  ],
  [
    'api_token',
    'clientSecret: \'abc123def456\'\nX-Api-Key: 0123456789abcdef\ngithub_token = "zxcvbnm123"',
    ['abc123def456', '0123456789abcdef', 'zxcvbnm123'],
  ],
  ['api_token', 'GET /v1/items?api_key=abcdef1234567890&page=2', ['abcdef1234567890']],
  // A quote left open runs to the line's end or the text's; a value past 4096 characters is
  // masked for its first 4096.
  ['api_token', 'API_KEY="sk-cut-0123456789\nnext line', ['sk-cut-0123456789']],
  ['api_token', "GITHUB_TOKEN='cut-at-the-end-0123", ['cut-at-the-end-0123']],
  ['api_token', `JWT_SECRET=${'a1'.repeat(2500)} after`, ['a1'.repeat(2048)]],
  // A bare identifier is taken as a secret: no name tells it from one.
  ['api_token', 'token = tokenFromHeader', ['tokenFromHeader']],
  ['password', 'host=db.internal user=app password=s3cr3t! dbname=prod', ['s3cr3t!']],
  [
    'password',
    "primary_conninfo = 'host=p port=5432 password=''s3cret'' sslmode=verify-full'",
    ["''s3cret''"],
  ],
  ['password', "host=db password='it\\'s secret' port=5432", ["it\\'s secret"]],
  ['password', 'DATABASE_URL=postgres://app:s3cr%40t@db:5432/prod?sslmode=require', ['s3cr%40t']],
  ['password', 'redis://:hunter2@cache:6379/0 and https://bob:pw@[::1]:8443/x', ['hunter2', 'pw']],
  ['password', 'jdbc:postgresql://db/prod?user=app&password=s3cret&ssl=true', ['s3cret']],
  ['password', 'Server=db;Database=prod;User Id=app;Password=s3cret;', ['s3cret']],
  ['password', 'Driver={PostgreSQL};Uid=app;Pwd={s3;cr}}et};', ['s3;cr}}et']],
  ['password', "PASSWORD 'x' and password='it\\'s' and password=\"\"", ["it\\'s"]],
  [
    'password',
    'DB_PASSWORD="s3cret"\nexport PGPASSWORD=s3cret2\nMYSQL_PWD=s3cret3\nDB_PASS = s3cret4\n',
    ['s3cret', 's3cret2', 's3cret3', 's3cret4'],
  ],
  ['password', 'password: two words  \n"dbPassword": "s3 cret", "user": "app"', ['two words', 's3 cret']],
];

const NEGATIVE: [DetectorName, string][] = [
  ['email', 'not an email: alice@localhost, @example.com, alice@'],
  ['email', 'fake masked k3x9@qwer.invalid'],
  ['email', 'fake masked, of other scripts: ñ3x9@qwër.invalid'],
  ['email', 'other escapes: alice%41example.com, 100%25.example.com, a%4example.com'],
  ['credit_card', 'Luhn-invalid 4111 1111 1111 1112'],
  ['credit_card', 'encoded, Luhn-invalid 4111%201111%201111%201112 and 4111+1111+1111+1112'],
  ['credit_card', 'the 20 of %20 is no digit: 4111%2011111111151'],
  ['credit_card', 'issuer digit 1: 1111111111111117, 0000000000000000'],
  ['credit_card', 'timestamp 1700000000000 and 17000000000001'],
  ['credit_card', 'a long run 41111111111111110000000 of digits'],
  ['credit_card', 'glued x4111111111111111'],
  ['iban', 'bad check digits DE88 3704 0044 0532 0130 00'],
  ['iban', 'unknown country XX89 3704 0044 0532 0130 00'],
  ['iban', 'too short DE89 3704 0044 0532'],
  ['us_ssn', 'area 000-12-3456 666-12-3456 912-12-3456'],
  ['us_ssn', 'group 123-00-4567 serial 123-45-0000'],
  ['us_ssn', 'longer 1-123-45-6789 and 123-45-6789-1'],
  ['phone', 'plain 4155552671 and 14155552671'],
  ['phone', 'encoded but short: %2B1234, %2B1%20415 and 100%25 of it, glued x%2B14155552671'],
  ['phone', 'after another escape: %41415%20555%202671 and x%20415-555-2671y'],
  ['us_ssn', 'glued after the escape: %20123-45-6789x and %2x123-45-6789'],
  ['phone', 'dates 2024-01-15 2024.01.15 12:30:45 1999-12-31T23:59:59Z'],
  ['phone', 'ips 192.168.100.200 and 10.415.555.2671'],
  ['phone', 'area 0 or 1: (015) 555-2671 115-555-2671'],
  ['phone', 'version 1.2.3 and build 2.10.4.1234'],
  ['ipv4', 'versions 1.2.3 v1.2.3.4 1.2.3.4.5 and 999.1.1.1 256.1.1.1'],
  ['ipv4', 'time 12:30:45.123'],
  ['ipv6', 'time 12:30:45 and 10:30'],
  ['ipv6', 'code std::vector Foo::Bar x[::2] and ::1'],
  ['ipv6', 'mac 00:1a:2b:3c:4d:5e'],
  ['jwt', 'eyJmb28iOiJiYXIifQ alone and eyJhbGciOi.notjson.x'],
  ['jwt', 'not-json eyJhYmM.eyJkZWY.sig'],
  ['aws_access_key', 'AKIA short AKIA1234 and AKIAIOSFODNN7EXAMPLEX'],
  ['aws_access_key', 'aws_secret_access_key = short and AWS_SECRET_ACCESS_KEY=$SECRET secretary: x'],
  ['private_key', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'],
  ['api_token', 'ghp_short and sk_test_abcdefghijkl and Bearer short'],
  ['api_token', `risk-${'a'.repeat(48)} sk-short sk-proj-tooShort ask-${'B'.repeat(48)} AIzaTooShort`],
  [
    'api_token',
    'secret: false token: none TOKEN_TTL=3600 "max_tokens": 1024 token_type=bearer_abcdef secretary=abcdefghij',
  ],
  [
    'api_token',
    '{"nextPageToken": "CAEQAAabcdefgh", "NextToken": "AAAAbbbbcccc"} csrf_token=abcdefghijklmnop page_token=abcdefghij',
  ],
  [
    'api_token',
    'SECRET_KEY = os.environ["SECRET_KEY"]; token = process.env.API_TOKEN; api_key = os.getenv("K") secret = None',
  ],
  // A shell's `${NAME}` (written as a template literal's escaped placeholder).
  ['api_token', `token: \${GITHUB_TOKEN} api_key: "{{ .Values.apiKey }}" secret=******** token=[REDACTED]`],
  ['api_token', "token=$(cat /run/tok) api_key='<%= key %>' secret = '%(secret)s' access_token = null"],
  [
    'api_token',
    'SORT_key=abcdefghijkl my_KEY=abcdefghijkl monkey=abcdefghijkl "key": "abcdefghijkl" primary_key: abcdefghijkl',
  ],
  ['password', 'bypass=true compass=north OLDPWD=/home/app cwd=/tmp passport=X123'],
  ['password', 'https://example.com:8443/a@b and mailto:bob@example.com and http://bob@host/'],
  ['password', 'Password: \nEnter password:\npassword= ;password=&pwd=,'],
  ['password', 'password=[REDACTED] postgres://app:[REDACTED]@db/x password: [REDACTED] rest'],
  ['password', 'password_hash=abc and passwords are long and PassWord=mixed'],
];

describe('detectors', () => {
  for (const engine of ['re2', 'js'] as const) {
    describe(`on ${engine}`, () => {
      it.each(POSITIVE)('%s finds secrets in %j', (name, text, expected) => {
        expect(found(name, text, engine)).toEqual(expected);
      });
      it.each(NEGATIVE)('%s ignores %j', (name, text) => {
        expect(found(name, text, engine)).toEqual([]);
      });
    });
  }

  it('keeps the Bearer scheme readable and masks only the credential', () => {
    const text = 'Authorization: Bearer 0123456789abcdefXYZ';
    const [match] = detect(text, { detectors: ['api_token'] });
    expect(text.slice(match?.start, match?.end)).toBe('0123456789abcdefXYZ');
  });

  it("keeps a URL's user and host, and a connection string's other keys, readable", () => {
    const masker = createMasker({ rules: [{ detector: 'password', strategy: 'redact' }] });
    expect(masker.maskText('postgres://app:s3cret@db:5432/prod host=db password=x2 port=1')).toBe(
      'postgres://app:[REDACTED]@db:5432/prod host=db password=[REDACTED] port=1',
    );
  });

  it('reads a quoted password to its line end when the quote does not close', () => {
    expect(found('password', "password='s3cret and more\nnext line")).toEqual(['s3cret and more']);
  });

  it('masks the body of a PEM block that has no END line', () => {
    const text = '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w\n';
    const [match] = detect(text, { detectors: ['private_key'] });
    expect(match?.start).toBe(0);
    expect(match?.end).toBe(text.length);
  });

  it('finds a card in a run of groups longer than the pattern bound', () => {
    const filler = Array.from({ length: 420 }, () => '12').join(' ');
    const text = `${filler} 4111 1111 1111 1111 ${filler}`;
    expect(found('credit_card', text)).toEqual(['4111 1111 1111 1111']);
  });

  it.each(['+', '%20', '&nbsp;', '&#160;', '&#xA0;'])(
    'finds a card across the pattern bound (400 digits) with %j between groups',
    (sep) => {
      // 370 to 398 digits before the card: its 16 or 19 straddle the 400th, where the regex's
      // run is cut.
      for (const card of [
        ['4111', '1111', '1111', '1111'].join(sep),
        ['4000', '1234', '1234', '1235', '104'].join(sep),
      ]) {
        for (let groups = 185; groups < 200; groups++) {
          const filler = Array.from({ length: groups }, () => '12').join(sep);
          expect(found('credit_card', `${filler}${sep}${card}${sep}${filler}`)).toEqual([card]);
        }
      }
    },
  );

  it('exposes one detector object per name', () => {
    expect(Object.keys(detectors).sort()).toEqual([...DETECTOR_NAMES].sort());
    expect(detectors.email.detect('x a@b.io').map((m) => m.detector)).toEqual(['email']);
  });

  it('reports overlapping matches from different detectors', () => {
    const text = `Bearer ${JWT}`;
    expect(
      detect(text)
        .map((m) => m.detector)
        .sort(),
    ).toEqual(['api_token', 'jwt']);
  });
});
