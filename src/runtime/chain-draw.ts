/**
 * Per-connection chain choice for a weighted (mixed rollout) chain source: every handshake draws
 * the next chain from a PRNG, seeded for a repeatable sequence. The endpoint table owns one draw per
 * endpoint and key type; a chain change or reload of the endpoint starts a new sequence.
 */
import type { ChainMaterial } from '../pki/types.js';
import { randomSeed, seededRandom, weightedIndex } from '../util/prng.js';

export class ChainDraw {
  private readonly random: () => number;
  private readonly weights: number[];
  /** The scenario's seed, or the random one drawn here: either repeats this sequence. */
  readonly seed: number;
  /** Whether the scenario gave the seed. */
  readonly seeded: boolean;

  constructor(
    /** Every chain of the mix with its weight, in the scenario's order (the admin API shows them). */
    readonly options: ReadonlyArray<{ material: ChainMaterial; weight: number }>,
    seed?: number,
  ) {
    this.seed = seed ?? randomSeed();
    this.seeded = seed !== undefined;
    this.random = seededRandom(this.seed);
    this.weights = options.map((o) => o.weight);
  }

  /** The first option: what the policy snapshot names before a connection draws. */
  get first(): ChainMaterial {
    return this.options[0]!.material;
  }

  next(): ChainMaterial {
    return this.options[weightedIndex(this.weights, this.random)]!.material;
  }
}
