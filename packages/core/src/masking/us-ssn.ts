/**
 * US Social Security number structure (SSA rules since 2011 randomisation): the area is
 * never 000, 666 or 900–999, the group never 00 and the serial never 0000. A digit run that
 * breaks these is not an SSN, so it is left alone.
 */
export function usSsnValid(area: string, group: string, serial: string): boolean {
  if (!/^\d{3}$/.test(area) || !/^\d{2}$/.test(group) || !/^\d{4}$/.test(serial)) return false;
  if (area === '000' || area === '666' || area[0] === '9') return false;
  return group !== '00' && serial !== '0000';
}
