import { describe, expect, it } from 'vitest';
import { createMasker } from './masker.js';
import { foldForScan } from './scan-folding.js';

describe('foldForScan', () => {
  it('folds look-alikes to ASCII, one unit for one, and returns ASCII text itself', () => {
    const written = 'a\u00a0b\u2007c\u202fd\u3000e\u2011f\u2013g\u2212h４２＠ｘ😀é';
    const folded = foldForScan(written);
    expect(folded).toBe('a b c d e-f-g-h42@x😀é');
    expect(folded.length).toBe(written.length);
    const ascii = 'plain 4111 1111 1111 1111';
    expect(foldForScan(ascii)).toBe(ascii);
    const long = `${'x'.repeat(20_000)}\u00a0${'y'.repeat(20_000)}`;
    expect(foldForScan(long)).toBe(`${'x'.repeat(20_000)} ${'y'.repeat(20_000)}`);
  });

  it("reads other scripts' digits as ASCII digits, so numbers written in them are found", () => {
    expect(foldForScan('٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ০১২৩৪৫৬৭৮৯ ๐๑๒๓๔๕๖๗๘๙')).toBe(
      '0123456789 0123456789 0123456789 0123456789 0123456789',
    );
    const m = createMasker({
      rules: [
        { detector: 'phone', strategy: 'redact' },
        { detector: 'credit_card', strategy: 'partial', keep: 4 },
      ],
    });
    // A Persian mobile number, and a card in Arabic-Indic digits.
    expect(m.maskText('تماس: +۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹')).toBe('تماس: [REDACTED]');
    expect(m.maskText('بطاقة ٤١١١ ١١١١ ١١١١ ١١١١')).toBe('بطاقة ***************١١١١');
    // The format strategy writes ASCII digits for them: none of the number's stay.
    const f = createMasker({ rules: [{ detector: 'phone', strategy: 'format' }] });
    const out = f.maskText('+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹');
    expect(out).toMatch(/^\+0\d 0\d\d 0\d\d 0\d{3}$/);
  });

  it('lets operator patterns read the text as written', () => {
    const m = createMasker({ rules: [{ pattern: 'ref\u00a0[0-9]+', strategy: 'redact' }] });
    expect(m.maskText('ref\u00a042 and ref 43')).toBe('[REDACTED] and ref 43');
  });
});
