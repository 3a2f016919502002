/**
 * IBAN checks from ISO 13616: the country's fixed length and the mod-97 check digits
 * (ISO 7064 MOD 97-10). Lengths follow the SWIFT IBAN registry; a country that is not in it
 * has no IBAN, so a look-alike from there is not one.
 */

// Country code and length pairs, kept as text so the table stays compact.
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
    'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 ' +
    'IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 ' +
    'MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 ' +
    'SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))] as const),
);

/** The registered IBAN length for a two-letter country code, if it has IBANs. */
export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS.get(country);
}

/** True when a compact (no spaces), upper-case IBAN has its country's length and valid check digits. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  if (ibanLength(compact.slice(0, 2)) !== compact.length) return false;
  // Check digits are 98 minus a remainder mod 97, so 02–98; 00, 01 and 99 are never issued
  // (and 00 is what format-preserving masking writes).
  const check = Number(compact.slice(2, 4));
  if (check < 2 || check > 98) return false;
  return ibanMod97(compact) === 1;
}

/** The ISO 7064 remainder of the rearranged IBAN; 1 for a valid one. */
export function ibanMod97(compact: string): number {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    // Letters count as two digits (A = 10 … Z = 35), so fold them in as a two-digit step.
    if (code >= 65 && code <= 90) rest = (rest * 100 + (code - 55)) % 97;
    else rest = (rest * 10 + (code - 48)) % 97;
  }
  return rest;
}

/** Check digits that make `country + ?? + bban` valid (for building test IBANs and fakes). */
export function ibanCheckDigits(country: string, bban: string): string {
  const rest = ibanMod97(`${country}00${bban}`);
  return String(98 - rest).padStart(2, '0');
}
