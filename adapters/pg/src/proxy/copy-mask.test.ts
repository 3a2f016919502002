import { createMasker } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatCopyTextRow, maskCopyRow, parseCopyTextRow } from './copy-mask.js';

describe('text-format COPY rows', () => {
  test('parse and format are inverse for any values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 6 }),
        (values) => {
          const safe = values.map((v) => (v === '\\N' ? 'x' : v));
          expect(parseCopyTextRow(formatCopyTextRow(safe))).toEqual(safe);
        },
      ),
    );
  });

  test('decodes escapes and NULL', () => {
    expect(parseCopyTextRow('a\\tb\t\\N\tc\\\\d\\n\t\\101\n')).toEqual(['a\tb', null, 'c\\d\n', 'A']);
  });

  test('masks the picked column, leaves the others as they were', () => {
    const masker = createMasker({ rules: [{ column: 'users.email', strategy: 'redact' }] });
    const plan = {
      context: { masker, hasColumnRules: true, hasTextRules: false },
      descriptors: [
        { table: 'public.users', column: 'id' },
        { table: 'public.users', column: 'email' },
      ],
    };
    const out = maskCopyRow(plan, Buffer.from('1\tada@example.com\n')).toString();
    expect(out.startsWith('1\t')).toBe(true);
    expect(out).not.toContain('ada@');
    expect(() => maskCopyRow(plan, Buffer.from('1\n'))).toThrow(/2/);
  });
});
