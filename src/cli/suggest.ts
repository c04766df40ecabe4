/** "Did you mean" hints for mistyped option values. */
import { editDistance } from '../arch/index.js';

/** The candidate closest to `text` (edit distance <= 2, case ignored), or undefined. */
export function closest(text: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(text.toLowerCase(), c.toLowerCase(), bestD);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** ` (did you mean HINT?)`, or nothing without a hint. */
export function didYouMean(hint: string | undefined): string {
  return hint === undefined ? '' : ` (did you mean ${hint}?)`;
}
