/**
 * Paths into the input document (`['session', 'id']`) that a policy may read, as an evaluator
 * reports them (the Rego compiler works them out; see @portcullis/rego's `inputPaths`). None
 * is a prefix of another, and `[[]]` stands for the whole document. An evaluator that does
 * not report them may read anything.
 */
export type InputPaths = readonly (readonly string[])[];

/**
 * Whether a policy that reads `paths` may see the value at `path`: when it reads that value,
 * something inside it, or something that holds it. True when `paths` is undefined (unknown).
 */
export function readsInput(paths: InputPaths | undefined, path: readonly string[]): boolean {
  if (paths === undefined) return true;
  for (const p of paths) {
    const n = Math.min(p.length, path.length);
    let i = 0;
    while (i < n && p[i] === path[i]) i++;
    if (i === n) return true;
  }
  return false;
}
