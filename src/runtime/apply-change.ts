/**
 * Applies a change another process made (the primary, with `--workers N`) to this process's parts,
 * through the same methods the timeline and the admin API call: the state that results is the same.
 */
import type { Change } from './changes.js';
import type { RuntimeParts } from './index.js';

export type ChangeTargets = Pick<RuntimeParts, 'clock' | 'endpoints' | 'faults' | 'connections' | 'setClock'>;

export async function applyChange(p: ChangeTargets, c: Change): Promise<void> {
  switch (c.kind) {
    case 'chain':
      return p.endpoints.setChain(c.endpoint, c.source, c.keyType);
    case 'leaf':
      return p.endpoints.rotateLeaf(c.endpoint, c.generation);
    case 'intermediate':
      return p.endpoints.rotateIntermediate(c.endpoint, c.to);
    case 'profile':
      return p.endpoints.setProfile(c.endpoint, c.profile, c.minTlsVersion);
    case 'clock':
      p.clock.setRate(c.rate);
      return p.setClock(new Date(c.to));
    case 'fault-start':
      return void (await p.faults.start(c.ref));
    case 'fault-stop':
      return void p.faults.stop(c.id);
    case 'drop':
      return void p.connections.drop(c.endpoint);
  }
}
