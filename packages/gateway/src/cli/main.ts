/**
 * The `portcullis` command. Each subcommand lives in its own file and returns an exit code;
 * nothing here calls process.exit, so the CLI can be driven in-process by tests.
 */
import { Command, CommanderError, Option } from 'commander';
import { type BuildFlags, runBuild } from './build-command.js';
import { type CliIo, defaultIo } from './cli-io.js';
import { type ConformanceFlags, runConformanceCommand } from './conformance-command.js';
import { runDemo } from './demo-command.js';
import { type EvalFlags, runEval } from './eval-command.js';
import { type FactsFlags, runFacts } from './facts-command.js';
import { runTest, type TestFlags } from './test-command.js';

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
