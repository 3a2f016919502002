/**
 * The `portcullis` command run from the TypeScript sources, for tests that need the gateway
 * in a child process they can kill, without a build:
 * `node --conditions=portcullis-source --import tsx test/support/portcullis-source.ts start …`.
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
