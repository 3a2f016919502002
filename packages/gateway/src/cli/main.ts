/**
 * The `portcullis` command. Each subcommand lives in its own file and returns an exit code;
 * nothing here calls process.exit, so the CLI can be driven in-process by tests.
 */
import { Command, CommanderError, Option } from 'commander';
import { type ApprovalsFlags, runApprovalsList, runApprovalsVote } from './approvals-command.js';
import { type AuditTailFlags, type AuditVerifyFlags, runAuditTail, runAuditVerify } from './audit-command.js';
import { type BuildFlags, runBuild } from './build-command.js';
import { type CliIo, defaultIo } from './cli-io.js';
import { type ConformanceFlags, runConformanceCommand } from './conformance-command.js';
import {
  type CredentialsFlags,
  runCredentialsIssue,
  runCredentialsList,
  runCredentialsRevoke,
} from './credentials-command.js';
import { runDemo } from './demo-command.js';
import { type EvalFlags, runEval } from './eval-command.js';
import { type FactsFlags, runFacts } from './facts-command.js';
import { type KeysFlags, runKeysGenerate } from './keys-command.js';
import { type LoginFlags, runLogin } from './login-command.js';
import { runStart, type StartFlags } from './start-command.js';
import { runTest, type TestFlags } from './test-command.js';
import { runUp, type UpFlags } from './up-command.js';

function addRequestOptions(cmd: Command): Command {
  return cmd
    .option('--sql <text>', 'a SQL string (one or more statements)')
    .option(
      '--dialect <name>',
      'SQL dialect: postgresql (default), mysql, mariadb, sqlite, transactsql, bigquery …',
    )
    .option('--command <line>', 'a shell line (SSH exec or interactive shell)')
    .option('--exec', 'treat --command as an SSH exec request rather than a shell line')
    .option('--http-method <method>', 'HTTP method')
    .option('--url <url>', 'HTTP URL')
    .option('--header <line...>', 'HTTP header "Name: value" (repeatable)')
    .option('--body <text>', 'HTTP body')
    .addOption(new Option('--resource-type <type>', 'resource type').choices(['postgres', 'ssh', 'http']))
    .option('--resource-name <name>', 'resource name', undefined)
    .option('--resource-labels <k=v,...>', 'resource labels')
    .option('--subject <id>', 'subject id')
    .addOption(new Option('--subject-kind <kind>', 'subject kind').choices(['human', 'agent']))
    .option('--groups <a,b>', 'subject groups')
    .option('--jsonl', 'read JSON-lines requests from stdin, one output line per request');
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('portcullis')
    .description('Policy decisions in the data path between identities and PostgreSQL, SSH and HTTP')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  addRequestOptions(
    program
      .command('facts')
      .description('print the input document a policy would see for a request')
      .option('--pretty', 'indent the JSON output'),
  ).action(async (flags: FactsFlags) => setExit(await runFacts(flags, io)));

  addRequestOptions(
    program
      .command('eval')
      .description('print the decision document the policy returns for a request')
      .option('--policy <path...>', 'policy files or directories (default: the shipped rego/)')
      .option('--entrypoint <name>', 'decision entrypoint', 'portcullis/decision')
      .option('--pretty', 'indent the JSON output'),
  ).action(async (flags: EvalFlags) => setExit(await runEval(flags, io)));

  program
    .command('build')
    .description('compile Rego to WebAssembly (OPA wasm ABI), an OPA bundle, or print the IR')
    .argument('[paths...]', 'policy files or directories (default: the shipped rego/)')
    .option('-o, --output <file>', 'output file (default policy.wasm, or bundle.tar.gz with --bundle)')
    .option('-e, --entrypoint <name...>', 'entrypoints (default portcullis/decision)')
    .option('--bundle', 'write an OPA bundle (.tar.gz with policy.wasm and data.json)')
    .option('--ir', 'print the planner IR instead of compiling')
    .option('--include-tests', 'also compile _test.rego files')
    .option(
      '--signing-key <file>',
      'sign the bundle: a PEM private key (or, for HS*, a file holding the secret)',
    )
    .option('--signing-alg <alg>', 'JWS algorithm of the bundle signature', 'RS256')
    .option('--signing-keyid <id>', 'key id to put in the signature (its kid header and keyid claim)')
    .option('--signing-scope <scope>', 'scope claim of the signature')
    .action(async (paths: string[], flags: BuildFlags) => setExit(await runBuild(paths, flags, io)));

  program
    .command('test')
    .description('run the test_ rules of _test.rego files; ends with "N passed, N failed"')
    .argument('[paths...]', 'policy files or directories (default: the shipped rego/)')
    .addOption(
      new Option('--executor <name>', 'run on the compiled wasm or the reference IR interpreter')
        .choices(['wasm', 'interpreter'])
        .default('wasm'),
    )
    .action(async (paths: string[], flags: TestFlags) => setExit(await runTest(paths, flags, io)));

  program
    .command('conformance')
    .description("run OPA's conformance cases through our compiler and the opa-wasm loader")
    .argument('[dir]', 'conformance directory (default ../shared/opa-conformance/v1)')
    .option('--min <count>', 'exit 1 when fewer cases pass')
    .option('--failures', 'list every failing case with its reason')
    .action(async (dir: string | undefined, flags: ConformanceFlags) =>
      setExit(await runConformanceCommand(dir, flags, io)),
    );

  program
    .command('demo')
    .description('run the built-in example requests through fact extraction')
    .action(async () => setExit(await runDemo(io)));

  addGatewayCommands(program, io, setExit);
  return program;
}

function addGatewayCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('up')
    .description(
      'start PGlite with demo data behind the gateway and the shipped policy; print psql lines to try',
    )
    .option('--dir <path>', 'where state.db and audit.jsonl go (default: a fresh temporary directory)')
    .option('--http-port <port>', 'gateway HTTP port (default: a free one)')
    .option('--pg-port <port>', 'port of the demo-db proxy (default: a free one)')
    .option('--wait <duration>', 'how long a held statement waits for approval', '10m')
    .option('--exit-after-ready', 'stop as soon as everything is up (for tests)')
    .action(async (flags: UpFlags) => setExit(await runUp(flags, io)));

  program
    .command('start')
    .description('run the gateway described by a portcullis.yaml')
    .requiredOption('-c, --config <file>', 'configuration file')
    .option('--check', 'validate the configuration, its secrets and its policy, then exit 0 or 1')
    .option('--exit-after-ready', 'stop as soon as everything is up (for tests)')
    .action(async (flags: StartFlags) => setExit(await runStart(flags, io)));

  const approvals = program
    .command('approvals')
    .description('list, approve and deny held requests through a running gateway');
  const apiOptions = (cmd: Command) =>
    cmd
      .option('--url <url>', 'gateway URL (default $PORTCULLIS_URL)')
      .option('--token <key>', 'reviewer API key (default $PORTCULLIS_TOKEN; prefer the variable)')
      .option('--json', 'print JSON');
  apiOptions(approvals.command('list').description('list requests'))
    .addOption(
      new Option('--state <state>', 'which requests')
        .choices(['pending', 'approved', 'denied', 'expired'])
        .default('pending'),
    )
    .action(async (flags: ApprovalsFlags) => setExit(await runApprovalsList(flags, io)));
  for (const decision of ['approve', 'deny'] as const) {
    apiOptions(
      approvals.command(decision).description(`${decision} a request`).argument('<id>', 'request id'),
    )
      .option('--comment <text>', 'a note kept with the vote')
      .action(async (id: string, flags: ApprovalsFlags) =>
        setExit(await runApprovalsVote(decision, id, flags, io)),
      );
  }

  program
    .command('login')
    .description(
      'log in through OIDC (device code for people, client credentials for agents) and get a short-lived credential',
    )
    .option('--gateway <url>', 'gateway URL (default $PORTCULLIS_URL)')
    .requiredOption('--resource <name>', 'the resource the credential opens')
    .option('--issuer <url>', 'OIDC issuer (default: the one the gateway names)')
    .option('--audience <uri>', 'resource indicator to ask for (default: the gateway audience)')
    .option('--client-id <id>', 'OAuth client id (default $PORTCULLIS_CLIENT_ID)')
    .option('--client-secret <ref>', 'env:VAR or file:/path: use client credentials (agents)')
    .option('--scope <scopes>', 'scopes to ask for (device flow default: openid)')
    .option('--ttl <duration>', 'how long the credential is valid (default: the gateway default)')
    .option('--dbname <name>', 'database in the printed psql line')
    .option('--json', 'print the credential as JSON')
    .action(async (flags: LoginFlags) => setExit(await runLogin(flags, io)));

  const credentials = program
    .command('credentials')
    .description('short-lived gateway credentials (admin: writes the state database directly)');
  const stateOptions = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'configuration file naming the state database', 'portcullis.yaml')
      .option('--state <path>', 'the state database itself')
      .option('--json', 'print JSON');
  stateOptions(credentials.command('issue').description('issue a credential; the password is printed once'))
    .requiredOption('--subject <id>', 'who it is for (the psql user)')
    .requiredOption('--resource <name>', 'the resource it opens')
    .option('--ttl <duration>', 'how long it is valid', '15m')
    .addOption(new Option('--kind <kind>', 'subject kind').choices(['human', 'agent']).default('human'))
    .option('--groups <a,b>', 'groups of the subject')
    .action(async (flags: CredentialsFlags) => setExit(await runCredentialsIssue(flags, io)));
  stateOptions(credentials.command('revoke').description('revoke a credential, or all of a subject'))
    .argument('[id]', 'credential id')
    .option('--subject <id>', 'revoke every credential of this subject')
    .action(async (id: string | undefined, flags: CredentialsFlags) =>
      setExit(await runCredentialsRevoke(id, flags, io)),
    );
  stateOptions(credentials.command('list').description('list credentials (never their secrets)'))
    .option('--subject <id>', 'only this subject')
    .action(async (flags: CredentialsFlags) => setExit(await runCredentialsList(flags, io)));

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description(
      'check the hash chain, rotated files included; exit 1 at the first altered, removed or reordered record',
    )
    .argument('[log]', 'audit log (default: the one the config names)')
    .option('-c, --config <file>', 'configuration file', 'portcullis.yaml')
    .option('--from-oldest', 'take the chain up at the oldest file present (older rotated files removed)')
    .action(async (log: string | undefined, flags: AuditVerifyFlags) =>
      setExit(await runAuditVerify(log, flags, io)),
    );
  audit
    .command('tail')
    .description('print the last records, and with --follow each new one as it is written')
    .argument('[log]', 'audit log (default: the one the config names)')
    .option('-c, --config <file>', 'configuration file', 'portcullis.yaml')
    .option('-n, --lines <count>', 'how many of the last records to print first', '10')
    .option('-f, --follow', 'keep printing records as they are appended (until SIGINT)')
    .option('--json', 'print the records as they are stored (one JSON object a line)')
    .action(async (log: string | undefined, flags: AuditTailFlags) =>
      setExit(await runAuditTail(log, flags, io)),
    );

  program
    .command('keys')
    .description('static API keys')
    .command('generate')
    .description('make a key and print the identity.api_keys entry with its hash')
    .requiredOption('--id <subject>', 'subject id the key authenticates as')
    .addOption(new Option('--kind <kind>', 'subject kind').choices(['human', 'agent']).default('agent'))
    .option('--groups <a,b>', 'groups')
    .addOption(new Option('--algorithm <name>', 'hash').choices(['scrypt', 'sha256']).default('scrypt'))
    .action(async (flags: KeysFlags) => setExit(await runKeysGenerate(flags, io)));
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.stderr.write(`portcullis: ${(err as Error).message}\n`);
    return 1;
  }
  return exitCode;
}
