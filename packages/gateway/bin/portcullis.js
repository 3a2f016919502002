#!/usr/bin/env -S node --initial-old-space-size=256
// The flag: ssh2 allocates buffers for every packet it relays; with V8's small initial old
// generation that memory forces a full GC every few dozen MiB (a quarter of the proxy's CPU
// in an ssh transfer). See docs/gateway.md, "Running it under plain node".
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
