/** The Luhn (mod 10) check digit scheme of ISO/IEC 7812, used by payment card numbers. */

/** True when the digit string passes the Luhn check. Non-digits make it false. */
export function luhnValid(digits: string): boolean {
  if (digits.length < 2) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The check digit that makes `payload + digit` Luhn-valid. */
export function luhnCheckDigit(payload: string): string {
  return String((10 - (luhnSum(payload, true) % 10)) % 10);
}

function luhnSum(digits: string, doubleLast: boolean): number {
  let sum = 0;
  let double = doubleLast;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}
