/**
 * Builds the proxy's native lane (native/lane.c) into native/build/pg-lane.node with the
 * system C compiler against the running Node's own headers: no node-gyp, no download.
 * `CC` picks the compiler (default `cc`), `NODE_INCLUDE` the header directory (default
 * `include/node` beside the running `node`). Where either is missing the lane is not built:
 * a proxy then runs without it (and logs why), and one asked for it (`nativeLane: true`)
 * refuses to start, saying so. It runs at the package's install (where install scripts run)
 * and in its `build`; it never fails either.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'native', 'lane.c');
const outDir = join(root, 'native', 'build');
const out = join(outDir, 'pg-lane.node');
const include = process.env.NODE_INCLUDE ?? join(dirname(dirname(process.execPath)), 'include', 'node');

if (!existsSync(join(include, 'node_api.h'))) {
  process.stderr.write(`native lane not built: no node_api.h in ${include} (set NODE_INCLUDE)\n`);
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const partial = `${out}.${process.pid}`;
try {
  execFileSync(
    process.env.CC ?? 'cc',
    ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', `-I${include}`, source, '-o', partial],
    { stdio: 'inherit' },
  );
} catch (err) {
  process.stderr.write(`native lane not built: ${err.message}\n`);
  process.exit(0);
}
// Renamed into place, so a process loading it never sees half a file.
renameSync(partial, out);
