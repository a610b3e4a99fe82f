/**
 * The one seeded random generator of the library (seedrandom's ARC4): weight initialisation
 * (src/nn/init.ts), dropout masks, epoch shuffles (src/train/loop.ts, src/data/preprocessed). The same
 * seed gives the same numbers on every platform, so runs and tests are reproducible.
 */
import seedrandom from 'seedrandom';

/** A seeded uniform [0, 1) source. */
export type SeededRandom = () => number;

/** A generator seeded by `seed` (numbers and strings; `1` and `'1'` give the same stream). */
export function seededRandom(seed: number | string): SeededRandom {
  return seedrandom(String(seed));
}

/**
 * The numbers 0..n−1 in a seeded Fisher–Yates order (a shuffled epoch: same seed, same order).
 *
 * ```ts
 * seededPermutation(5, 3); // e.g. [3, 0, 4, 1, 2]
 * ```
 */
export function seededPermutation(n: number, seed: number | string): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
