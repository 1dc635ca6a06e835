import { closest, distance } from 'fastest-levenshtein';

/** "did you mean X?" for a mistyped id, or '' when nothing is close enough to be a likely typo. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(input, [...candidates]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(input, best) <= limit ? ` (did you mean "${best}"?)` : '';
}
