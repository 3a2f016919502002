/**
 * Whether a reviewer may vote under a reviewer list entry: `group:x` matches membership of
 * group x, `user:x` and a bare `x` match the reviewer id itself.
 */
export function reviewerMatches(entry: string, reviewer: string, reviewerGroups: readonly string[]): boolean {
  if (entry.startsWith('group:')) return reviewerGroups.includes(entry.slice('group:'.length));
  if (entry.startsWith('user:')) return entry.slice('user:'.length) === reviewer;
  return entry === reviewer;
}

export function isAllowedReviewer(
  reviewers: readonly string[],
  reviewer: string,
  reviewerGroups: readonly string[],
): boolean {
  return reviewers.some((entry) => reviewerMatches(entry, reviewer, reviewerGroups));
}
