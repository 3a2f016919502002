/**
 * ssh2's runtime values. ssh2 is CommonJS whose exports Node's ESM loader cannot name
 * statically, so `import { Server } from 'ssh2'` fails outside a bundler; the default import
 * (module.exports) works everywhere. Types still come from 'ssh2' with `import type`.
 */
import ssh2 from 'ssh2';

export const { BaseAgent, Client, Server, utils } = ssh2;
