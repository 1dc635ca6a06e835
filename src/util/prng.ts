/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on every machine and run,
 * which is what "repeatable with a seed" needs; not for anything secret.
 */
import { randomInt } from 'node:crypto';

/** Uniform numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for an unseeded draw: random, so each run differs. */
export const randomSeed = (): number => randomInt(0, 2 ** 32 - 1);

/** Index into `weights` drawn with probability proportional to each weight (weights > 0). */
export function weightedIndex(weights: readonly number[], random: () => number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = random() * total;
  for (const [i, w] of weights.entries()) {
    if (x < w) return i;
    x -= w;
  }
  return weights.length - 1;
}
