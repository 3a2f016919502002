/**
 * Credentials written into what a subject attempts, taken out of what is kept about it: an
 * audit record's summary and an approval request's, which reach log files, the audit index,
 * reviewers' pages and chat webhooks. SQL sets a password with `PASSWORD '…'` (CREATE or
 * ALTER ROLE, a user mapping's options) and passes connection strings in literals
 * (`dblink_connect('… password=…')`, `CREATE SUBSCRIPTION … CONNECTION '…'`); a command line
 * sets `PGPASSWORD=…`, names a URL with its password, or passes one as an option
 * (`mysql -p…`, `curl -u user:…`); a URL's query carries `password=…`, `access_token=…`,
 * `api_key=…`; an environment sets `JWT_SECRET=…` or `GITHUB_TOKEN=ghp_…`. The password and
 * api_token detectors (detectors.ts) find connection strings, URLs, assignments and tokens of
 * known formats; query parameters are known by name; options are read from the command's
 * parsed arguments.
 */

import type { CommandFacts, ShellFacts } from '../contract.js';
import { createMasker, type Masker } from '../masking/masker.js';
import { REDACTED } from '../masking/strategies.js';

/**
 * `PASSWORD` and the SQL string literal after it: standard ('' doubles a quote), escape
 * (E'…', backslash escapes) or dollar-quoted. A literal the text leaves open runs to its end.
 */
const PASSWORD_LITERAL =
  /\b(password\s+)(?:([Ee]')(?:[^'\\]|\\[\s\S]|'')*(?:'|$)|(')(?:[^']|'')*(?:'|$)|(\$[A-Za-z_0-9]*\$)[\s\S]*?(?:\4|$))/gi;

/**
 * A URL query parameter whose value is a credential (`?access_token=…`, `&api_key=…`, an
 * OAuth `code`, a signed URL's `X-Amz-Signature`): the value, up to the next `&`, `#`,
 * space or quote.
 */
const QUERY_SECRET =
  /([?&;](?:access_?token|refresh_?token|id_?token|token|auth|api_?key|apikey|key|secret|client_?secret|code|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|password|passwd|pwd)=)[^&#\s"'<>]+/gi;

/**
 * Only texts that may hold a credential are scanned: the words the password and api_token
 * detectors' names and formats need (their prefilters, detectors.ts, are finer).
 */
const MAY_HOLD =
  /pass|pwd|:\/\/|[?&;][\w-]+=|secret|token|key|bearer|gh[pousr]_|github_pat_|xox|sk-|k_live_|AIza/i;

let credentials: Masker | undefined;

/** `text` with the credentials it writes replaced by `[REDACTED]`; unchanged when it has none. */
export function redactCredentials(text: string): string {
  if (!MAY_HOLD.test(text)) return text;
  const literals = text.replace(
    PASSWORD_LITERAL,
    (whole, keyword: string, escaped?: string, quote?: string, dollar?: string) => {
      const open = escaped ?? quote ?? dollar ?? '';
      const close = dollar ?? "'";
      const closed = whole.length > keyword.length + open.length && whole.endsWith(close);
      return `${keyword}${open}${REDACTED}${closed ? close : ''}`;
    },
  );
  const query = literals.replace(QUERY_SECRET, (_whole, name: string) => `${name}${REDACTED}`);
  credentials ??= createMasker({
    rules: [
      { detector: 'password', strategy: 'redact' },
      { detector: 'api_token', strategy: 'redact' },
    ],
  });
  return credentials.maskText(query);
}

/**
 * An option whose value is a password: `-pVALUE` (`attached`), `-p VALUE` (`separate`), or for
 * a long option `--name=VALUE` and `--name VALUE`. Of the value only what follows `after`
 * (`curl -u user:pw`, `smbclient -U user%pw`) or a leading `prefix` (`openssl -passin pass:pw`)
 * is the password; a value without them is none.
 */
interface PasswordOption {
  flags: readonly string[];
  attached: boolean;
  separate: boolean;
  after?: string;
  prefix?: string;
}

interface ProgramOptions {
  /** The options count only after this argument (`docker login`; `docker run -p` is a port). */
  subcommand?: string;
  options: readonly PasswordOption[];
}

const MYSQL: ProgramOptions = { options: [{ flags: ['-p'], attached: true, separate: false }] };
const MONGO: ProgramOptions = { options: [{ flags: ['-p', '--password'], attached: true, separate: true }] };
const LOGIN: ProgramOptions = {
  subcommand: 'login',
  options: [{ flags: ['-p', '--password'], attached: true, separate: true }],
};
const LDAP: ProgramOptions = { options: [{ flags: ['-w'], attached: true, separate: true }] };

/** Programs that take a password as an option, by name. */
const PASSWORD_OPTIONS: Readonly<Record<string, ProgramOptions>> = {
  mysql: MYSQL,
  mysqldump: MYSQL,
  mysqladmin: MYSQL,
  mysqlimport: MYSQL,
  mysqlcheck: MYSQL,
  mysqlshow: MYSQL,
  mysqlslap: MYSQL,
  mariadb: MYSQL,
  'mariadb-dump': MYSQL,
  'mariadb-admin': MYSQL,
  mongo: MONGO,
  mongosh: MONGO,
  mongodump: MONGO,
  mongorestore: MONGO,
  mongoexport: MONGO,
  mongoimport: MONGO,
  docker: LOGIN,
  podman: LOGIN,
  nerdctl: LOGIN,
  helm: LOGIN,
  ldapsearch: LDAP,
  ldapadd: LDAP,
  ldapmodify: LDAP,
  ldapdelete: LDAP,
  ldapwhoami: LDAP,
  ldappasswd: LDAP,
  curl: {
    options: [
      { flags: ['-u', '--user', '-U', '--proxy-user'], attached: true, separate: true, after: ':' },
      { flags: ['--oauth2-bearer'], attached: true, separate: true },
    ],
  },
  wget: {
    options: [
      {
        flags: ['--password', '--http-password', '--ftp-password', '--proxy-password'],
        attached: true,
        separate: true,
      },
    ],
  },
  sshpass: { options: [{ flags: ['-p'], attached: true, separate: true }] },
  'redis-cli': { options: [{ flags: ['-a', '--pass'], attached: true, separate: true }] },
  sqlcmd: { options: [{ flags: ['-P'], attached: true, separate: true }] },
  ipmitool: { options: [{ flags: ['-P'], attached: true, separate: true }] },
  smbclient: { options: [{ flags: ['-U', '--user'], attached: true, separate: true, after: '%' }] },
  openssl: {
    options: [
      { flags: ['-passin', '-passout', '-pass'], attached: false, separate: true, prefix: 'pass:' },
      { flags: ['-k'], attached: false, separate: true },
    ],
  },
};

/** The password part of an option's value, or undefined when it holds none. */
function passwordPart(value: string, option: PasswordOption): string | undefined {
  let part = value;
  if (option.prefix !== undefined) {
    if (!part.startsWith(option.prefix)) return undefined;
    part = part.slice(option.prefix.length);
  }
  if (option.after !== undefined) {
    const at = part.indexOf(option.after);
    if (at === -1) return undefined;
    part = part.slice(at + option.after.length);
  }
  return part === '' ? undefined : part;
}

/** The passwords a command's options carry. */
function optionPasswords(command: CommandFacts): string[] {
  const known = PASSWORD_OPTIONS[command.program.slice(command.program.lastIndexOf('/') + 1)];
  if (!known) return [];
  const args = command.args;
  let from = 0;
  if (known.subcommand !== undefined) {
    from = args.indexOf(known.subcommand) + 1;
    if (from === 0) return [];
  }
  const found: string[] = [];
  for (let i = from; i < args.length; i++) {
    const arg = args[i] as string;
    for (const option of known.options) {
      for (const flag of option.flags) {
        let value: string | undefined;
        if (arg === flag) {
          if (option.separate && i + 1 < args.length) value = args[i + 1];
        } else if (option.attached && arg.startsWith(flag)) {
          const long = flag.startsWith('--');
          if (!long) value = arg.slice(flag.length);
          else if (arg[flag.length] === '=') value = arg.slice(flag.length + 1);
        }
        const part = value === undefined ? undefined : passwordPart(value, option);
        if (part !== undefined) found.push(part);
      }
    }
  }
  return found;
}

/**
 * A command line's text with the passwords it passes replaced: those its commands' options
 * carry (every occurrence of each in the text, as written), then what `redactCredentials`
 * finds. Unparsed lines get the latter only.
 */
export function redactShellCredentials(shell: ShellFacts): string {
  const secrets = new Set<string>();
  for (const command of shell.commands ?? [])
    for (const secret of optionPasswords(command)) secrets.add(secret);
  let text = shell.raw;
  // Longest first, so a password holding a shorter one is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length))
    text = text.split(secret).join(REDACTED);
  return redactCredentials(text);
}
