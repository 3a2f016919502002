import { describe, expect, it } from 'vitest';
import { redactCredentials } from './redact-credentials.js';

describe('redactCredentials', () => {
  it.each([
    ["ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD '[REDACTED]'"],
    [
      "create user bob with encrypted password 'it''s secret' valid until 'infinity'",
      "create user bob with encrypted password '[REDACTED]' valid until 'infinity'",
    ],
    ["ALTER ROLE app PASSWORD E'a\\'b' LOGIN", "ALTER ROLE app PASSWORD E'[REDACTED]' LOGIN"],
    ['ALTER ROLE app PASSWORD $pw$x$y$pw$ LOGIN', 'ALTER ROLE app PASSWORD $pw$[REDACTED]$pw$ LOGIN'],
    ["ALTER ROLE app PASSWORD 'never closed", "ALTER ROLE app PASSWORD '[REDACTED]"],
    [
      "CREATE USER MAPPING FOR app SERVER crm OPTIONS (user 'crm', password 'fdw-pw')",
      "CREATE USER MAPPING FOR app SERVER crm OPTIONS (user 'crm', password '[REDACTED]')",
    ],
    [
      "SELECT dblink_connect('host=crm user=app password=dbl-pw')",
      "SELECT dblink_connect('host=crm user=app password=[REDACTED]')",
    ],
    [
      "CREATE SUBSCRIPTION s CONNECTION 'host=p password=sub-pw' PUBLICATION p",
      "CREATE SUBSCRIPTION s CONNECTION 'host=p password=[REDACTED]' PUBLICATION p",
    ],
    ['PGPASSWORD=pg-pw psql -h db', 'PGPASSWORD=[REDACTED] psql -h db'],
    ['curl https://ops:url-pw@api.internal/x', 'curl https://ops:[REDACTED]@api.internal/x'],
    [
      'GET https://api.example.com/login?user=a&password=q-pw',
      'GET https://api.example.com/login?user=a&password=[REDACTED]',
    ],
  ])('%s', (text, redacted) => {
    expect(redactCredentials(text)).toBe(redacted);
  });

  it('leaves texts without a password as they are', () => {
    for (const text of [
      'SELECT password FROM users WHERE id = 1',
      "ALTER ROLE app VALID UNTIL '2030-01-01'",
      'ls -l /srv',
      'GET https://api.example.com/items?page=2',
      '',
    ]) {
      expect(redactCredentials(text)).toBe(text);
    }
  });
});
