import {
  createInterpreterExecutor,
  createWasmExecutor,
  formatTestReport,
  runRegoTests,
} from '@portcullis/rego';
import { type CliIo, writeLine } from './cli-io.js';
import { resolvePolicyPaths } from './policy-paths.js';

export interface TestFlags {
  executor?: string;
}

/**
 * `opa test` semantics: every test_ rule must be true; ends with "N passed, N failed". Tests run
 * on the compiled WebAssembly by default, the same modules the engine evaluates.
 */
export async function runTest(paths: string[], flags: TestFlags, io: CliIo): Promise<number> {
  try {
    const executor = flags.executor === 'interpreter' ? createInterpreterExecutor() : createWasmExecutor();
    const result = await runRegoTests(resolvePolicyPaths(paths), { executor });
    const report = formatTestReport(result);
    io.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
    return result.failed > 0 ? 1 : 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis test: ${(err as Error).message}`);
    return 1;
  }
}
