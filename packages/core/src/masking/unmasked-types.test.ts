import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { planResponseBody } from './body-plan.js';
import { createMasker } from './masker.js';
import { UnmaskedTypes } from './unmasked-types.js';

const errors = {
  tooLarge: (limit: number) => new Error(`over ${limit}`),
  unenforceable: (message: string) => new Error(message),
};
const masker = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
const plan = (contentType: string, unmasked?: UnmaskedTypes) =>
  planResponseBody(masker, { contentType, contentEncoding: null }, errors, unmasked);

describe('UnmaskedTypes', () => {
  it('passes the listed types that are not text, exactly or by family, and refuses the others', () => {
    const types = new UnmaskedTypes(['image/*', 'Application/PDF']);
    expect(plan('image/png', types)).toBe('pass');
    expect(plan('image/svg+xml', types)).toBe('text');
    expect(plan('application/pdf; version=1.7', types)).toBe('pass');
    expect(() => plan('application/zip', types)).toThrow(/cannot mask a application\/zip response/);
    expect(() => plan('image/png')).toThrow(/cannot mask a image\/png response/);
    // Text is masked whatever the list says.
    expect(plan('application/json', new UnmaskedTypes(['application/*']))).toBe('document');
  });

  it('refuses a text type, a wildcard of everything and what is not a content type, naming the entry', () => {
    for (const [types, message] of [
      [['text/html'], /types\[0\].*text\/html is text/],
      [['image/png', 'text/*'], /types\[1\].*text\/\* is text/],
      [['application/json'], /application\/json is text/],
      [['application/ld+json'], /is text/],
      [['*/*'], /content type such as/],
      [['image'], /content type such as/],
      [[42], /content type such as/],
    ] as const) {
      expect(() => new UnmaskedTypes(types as unknown as string[], 'types')).toThrow(InvalidOptionError);
      expect(() => new UnmaskedTypes(types as unknown as string[], 'types')).toThrow(message);
    }
  });
});
