/**
 * The `portcullis` command. Each subcommand lives in its own file and returns an exit code;
 * nothing here calls process.exit, so the CLI can be driven in-process by tests.
 */
import { Command, CommanderError, Option } from 'commander';
import { type CliIo, defaultIo } from './cli-io.js';
import { runDemo } from './demo-command.js';
import { type FactsFlags, runFacts } from './facts-command.js';

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

  program
    .command('demo')
    .description('run the built-in example requests through fact extraction')
    .action(async () => setExit(await runDemo(io)));

  return program;
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
