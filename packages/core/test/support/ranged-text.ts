/**
 * A text whose card number a Range request could cut in two (`bytes=0-11` is `card 4111 11`),
 * for the HTTP adapters' tests (fetch and http share it, with http-test-policy's masks): a
 * masked answer must come whole, as RANGED_TEXT_MASKED, whatever Range the request carried.
 */
export const RANGED_TEXT = 'card 4111 1111 1111 1111 on file\n';

export const RANGED_TEXT_MASKED = 'card ***************1111 on file\n';

/** What an application that honours `Range: bytes=a-b` sends for it (206), or the whole (200). */
export function rangedPart(range: string | undefined): {
  status: number;
  text: string;
  contentRange?: string;
} {
  const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
  if (!m) return { status: 200, text: RANGED_TEXT };
  const [from, to] = [Number(m[1]), Number(m[2])];
  return {
    status: 206,
    text: RANGED_TEXT.slice(from, to + 1),
    contentRange: `bytes ${from}-${to}/${RANGED_TEXT.length}`,
  };
}
