import { readFileSync } from 'node:fs';
import { errorClasses } from '@portcullis/core';
import { fetchErrorClasses } from '@portcullis/fetch';
import { httpErrorClasses } from '@portcullis/http';
import { pgErrorClasses } from '@portcullis/pg';
import { regoErrorClasses } from '@portcullis/rego';
import { sshErrorClasses } from '@portcullis/ssh';
import { describe, expect, it } from 'vitest';
import { gatewayErrorClasses } from '../src/index.js';
import { repoRoot } from './cli-helpers.js';

describe('error codes across packages', () => {
  it('docs/errors.md documents exactly the codes every package registers', () => {
    const documented = [
      ...readFileSync(`${repoRoot}docs/errors.md`, 'utf8').matchAll(/^### (PC_[A-Z0-9_]+)\s*$/gm),
    ].map((m) => m[1]);
    const registered = [
      ...Object.keys(errorClasses),
      ...Object.keys(pgErrorClasses),
      ...Object.keys(regoErrorClasses),
      ...Object.keys(sshErrorClasses),
      ...Object.keys(gatewayErrorClasses),
      ...Object.keys(fetchErrorClasses),
      ...Object.keys(httpErrorClasses),
    ];
    expect(new Set(registered).size).toBe(registered.length);
    expect([...documented].sort()).toEqual(registered.sort());
  });

  it('gives every class the code it is registered under', () => {
    const all: Record<string, unknown> = {
      ...errorClasses,
      ...pgErrorClasses,
      ...regoErrorClasses,
      ...sshErrorClasses,
      ...gatewayErrorClasses,
      ...fetchErrorClasses,
      ...httpErrorClasses,
    };
    for (const [code, Cls] of Object.entries(all)) {
      const err = new (Cls as new (...args: unknown[]) => Error & { code: string })(
        code === 'PC_REGO_COMPILE' ? [] : 'x',
        'y',
      );
      expect(err.code).toBe(code);
      expect(err).toBeInstanceOf(Error);
    }
  });
});
