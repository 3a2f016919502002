import { startDemo } from '../demo/start-demo.js';
import { type CliIo, writeLine } from './cli-io.js';
import { untilSignal } from './until-signal.js';

export interface UpFlags {
  dir?: string;
  httpPort?: string;
  pgPort?: string;
  wait?: string;
  exitAfterReady?: boolean;
}

function port(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag}: expected an integer 0-65535, got ${JSON.stringify(text)}`);
  return n;
}

/** `portcullis up`: the embedded demo, until SIGINT or SIGTERM. */
export async function runUp(flags: UpFlags, io: CliIo): Promise<number> {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  try {
    const httpPort = port(flags.httpPort, '--http-port');
    const pgPort = port(flags.pgPort, '--pg-port');
    demo = await startDemo({
      ...(flags.dir ? { dir: flags.dir } : {}),
      ...(httpPort !== undefined ? { httpPort } : {}),
      ...(pgPort !== undefined ? { pgPort } : {}),
      ...(flags.wait ? { wait: flags.wait } : {}),
    });
  } catch (err) {
    await writeLine(io.stderr, `portcullis up: ${(err as Error).message}`);
    return 1;
  }
  const psql = (login: { user: string; password: string }) =>
    `PGPASSWORD=${login.password} psql "host=127.0.0.1 port=${demo.port} user=${login.user} dbname=postgres"`;
  const lines = [
    'Portcullis is up: PGlite (embedded PostgreSQL) behind the gateway, resource demo-db (env=prod),',
    'with the shipped policy library. Credentials below are valid for 1 hour.',
    '',
    'As the AI agent agent-7 (results masked):',
    `  ${psql(demo.agent)}`,
    'As the human alice:',
    `  ${psql(demo.human)}`,
    '',
    'Then try:',
    '  SELECT * FROM users;                 -- e-mails, phones and cards come back masked for the agent',
    '  DROP TABLE orders;                   -- denied on production',
    '  UPDATE users SET phone = NULL;       -- no WHERE: held until a reviewer approves it',
    '',
    `Approvals page: ${demo.gateway.url}/approvals   (reviewer dana, group dba; key below)`,
    `  reviewer key: ${demo.reviewer.key}`,
    `  or: PORTCULLIS_URL=${demo.gateway.url} PORTCULLIS_TOKEN=${demo.reviewer.key} npx portcullis approvals list`,
    `Metrics: ${demo.gateway.url}/metrics`,
    `Audit log: ${demo.auditPath}   (npx portcullis audit verify ${demo.auditPath})`,
    '',
    'Press Ctrl-C to stop.',
  ];
  for (const line of lines) await writeLine(io.stdout, line);
  if (!flags.exitAfterReady) await untilSignal();
  await demo.close();
  await writeLine(io.stdout, 'portcullis: stopped');
  return 0;
}
