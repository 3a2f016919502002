import { describe, expect, it } from 'vitest';
import { extractShellFacts } from '../shell/index.js';
import { redactCredentials, redactShellCredentials } from './redact-credentials.js';

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
    [
      'GET https://api.example.com/v1/items?page=2&access_token=tok-1&api_key=key-2#top',
      'GET https://api.example.com/v1/items?page=2&access_token=[REDACTED]&api_key=[REDACTED]#top',
    ],
    ['GET /callback?code=oauth-code-3&state=xyz', 'GET /callback?code=[REDACTED]&state=xyz'],
    [
      'curl "https://bucket.s3.amazonaws.com/f?X-Amz-Credential=AKIA/x&X-Amz-Signature=sig-4"',
      'curl "https://bucket.s3.amazonaws.com/f?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]"',
    ],
    // Tokens: by their format, and by the name they are assigned to.
    [
      'JWT_SECRET=s3cr3t-jwt-key GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 node app.js',
      'JWT_SECRET=[REDACTED] GITHUB_TOKEN=[REDACTED] node app.js',
    ],
    [
      "UPDATE integrations SET api_key = 'live-0f3a9c2e77' WHERE id = 3",
      "UPDATE integrations SET api_key = '[REDACTED]' WHERE id = 3",
    ],
    [
      'curl -H "Authorization: Bearer 0123456789abcdefXYZ" https://api.internal/x',
      'curl -H "Authorization: Bearer [REDACTED]" https://api.internal/x',
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
      'GET https://api.example.com/search?q=token&sort=key',
      "SELECT token_type, max_tokens FROM settings WHERE secret = false AND key = 'k1'",
      '',
    ]) {
      expect(redactCredentials(text)).toBe(text);
    }
  });
});

describe('redactShellCredentials', () => {
  it.each([
    ["mysql -uroot -p'Sh-pw-1' -e 'select 1'", "mysql -uroot -p'[REDACTED]' -e 'select 1'"],
    ['mysql -uroot -p -e status', 'mysql -uroot -p -e status'],
    ['curl -u ops:Sh-pw-2 https://api.internal/x', 'curl -u ops:[REDACTED] https://api.internal/x'],
    ['curl --user=ops:Sh-pw-3 -U proxy https://x', 'curl --user=ops:[REDACTED] -U proxy https://x'],
    ['sudo sshpass -p "Sh-pw-4" ssh db uptime', 'sudo sshpass -p "[REDACTED]" ssh db uptime'],
    [
      'docker login -u bot -p Sh-pw-5 registry.internal',
      'docker login -u bot -p [REDACTED] registry.internal',
    ],
    ['docker run -p 8080:80 nginx', 'docker run -p 8080:80 nginx'],
    ['redis-cli -a Sh-pw-6 ping', 'redis-cli -a [REDACTED] ping'],
    [
      'openssl enc -d -in x -passin pass:Sh-pw-7 -passout env:PW',
      'openssl enc -d -in x -passin pass:[REDACTED] -passout env:PW',
    ],
    ['smbclient //fs/share -U ops%Sh-pw-8', 'smbclient //fs/share -U ops%[REDACTED]'],
    ['ldapsearch -x -D cn=admin -w Sh-pw-9 -b dc=x', 'ldapsearch -x -D cn=admin -w [REDACTED] -b dc=x'],
    ['PGPASSWORD=Sh-pw-10 pg_dump -h db app | gzip', 'PGPASSWORD=[REDACTED] pg_dump -h db app | gzip'],
    ['mongosh --host db -p Sh-pw-11 app', 'mongosh --host db -p [REDACTED] app'],
    ['wget --password Sh-pw-12 https://files/x', 'wget --password [REDACTED] https://files/x'],
    ['sqlcmd -S db -U sa -P Sh-pw-13 -Q "select 1"', 'sqlcmd -S db -U sa -P [REDACTED] -Q "select 1"'],
    [
      'ipmitool -H bmc -U admin -P Sh-pw-14 power status',
      'ipmitool -H bmc -U admin -P [REDACTED] power status',
    ],
    ['curl --oauth2-bearer Sh-tok-15 https://x', 'curl --oauth2-bearer [REDACTED] https://x'],
    ['ls -la /srv && curl https://x', 'ls -la /srv && curl https://x'],
  ])('%s', async (line, redacted) => {
    expect(redactShellCredentials(await extractShellFacts(line))).toBe(redacted);
  });
});
