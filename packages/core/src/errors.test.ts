import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorClasses, PortcullisError } from './errors.js';

const docsPath = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

describe('error registry', () => {
  it('documents every registered code in docs/errors.md (other packages check their own)', () => {
    const documented = new Set(
      [...readFileSync(docsPath, 'utf8').matchAll(/^### (PC_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1]),
    );
    for (const code of Object.keys(errorClasses)) expect(documented, code).toContain(code);
  });

  it('gives every class the code it is registered under', () => {
    for (const [code, Cls] of Object.entries(errorClasses)) {
      const err = new (Cls as new (...args: string[]) => PortcullisError)('x', 'y');
      expect(err).toBeInstanceOf(PortcullisError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(Cls.name);
    }
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    const err = new errorClasses.PC_EVALUATION_FAILED('failed', { cause });
    expect(err.cause).toBe(cause);
  });
});
