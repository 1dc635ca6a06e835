/**
 * Chains faults serve (serve-defect), loaded before a fault starts so a connection never waits for
 * key generation. Keyed by the endpoint kind (iothub / dps leaves differ) and chain id.
 */
import type { PkiStore } from '../pki/store.js';
import type { ChainMaterial } from '../pki/types.js';
import { resolveChain } from '../pki/resolve.js';
import { faultDefinition, withDefaults } from './params.js';
import type { FaultSpec } from './types.js';

type Kind = 'iothub' | 'dps';

export class FaultChains {
  private readonly loaded = new Map<string, ChainMaterial>();

  constructor(
    private readonly pki: PkiStore,
    private readonly now: () => Date,
  ) {}

  /** What `specs` need, for PkiStore.prepare (one parallel generation pass). */
  requests(specs: readonly FaultSpec[], kindOf: (endpoint: string) => Kind) {
    const validAt = this.now();
    return specs.flatMap((s) => {
      const def = faultDefinition(s.fault);
      return (def.chains?.(withDefaults(def, s.params) as never) ?? []).map((chainId) => ({
        chainId,
        kind: kindOf(s.endpoint),
        generation: 1,
        validAt,
      }));
    });
  }

  async load(specs: readonly FaultSpec[], kindOf: (endpoint: string) => Kind): Promise<void> {
    const requests = this.requests(specs, kindOf);
    await this.pki.prepare(requests);
    await Promise.all(
      requests.map(async (r) => {
        this.loaded.set(
          `${r.kind}:${r.chainId}`,
          await resolveChain(
            { source: { catalog: r.chainId }, kind: r.kind, generation: 1, validAt: r.validAt },
            this.pki,
          ),
        );
      }),
    );
  }

  get(kind: Kind, chainId: string): ChainMaterial {
    const m = this.loaded.get(`${kind}:${chainId}`);
    if (!m) throw new Error(`fault chain ${chainId} (${kind}) is not loaded`);
    return m;
  }
}
