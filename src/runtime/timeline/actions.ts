/** Runs one timeline action on the runtime parts (each part publishes its own notice). */
import type { Action } from '../../scenario/timeline/compile.js';
import { durationMs } from '../../scenario/timeline/compile.js';
import { RELATIVE_PATTERN } from '../../scenario/timeline/schema.js';
import type { ScenarioClock } from '../../scenario/clock.js';
import type { EndpointTable } from '../endpoints.js';
import type { FaultControl } from '../faults.js';
import type { ConnectionRegistry } from '../connections.js';

/** The parts a timeline action changes. */
export interface ActionTargets {
  clock: ScenarioClock;
  endpoints: EndpointTable;
  faults: FaultControl;
  connections: ConnectionRegistry;
  /** Moves the scenario clock and re-issues chains (see runtime/index.ts). */
  setClock(to: Date): Promise<void>;
}

/** "+30d" from the scenario's now, or an instant. */
export function clockTarget(to: string, now: Date): Date {
  return new RegExp(RELATIVE_PATTERN).test(to) ? new Date(now.getTime() + durationMs(to)) : new Date(to);
}

export async function applyAction(p: ActionTargets, a: Action): Promise<void> {
  const eps = p.endpoints;
  switch (a.kind) {
    case 'chain':
      return void (await Promise.all(a.endpoints.map((e) => eps.setChain(e, a.source, a.keyType))));
    case 'rotateLeaf':
      return void (await Promise.all(a.endpoints.map((e) => eps.rotateLeaf(e))));
    case 'rotateIntermediate':
      return void (await Promise.all(a.endpoints.map((e) => eps.rotateIntermediate(e, a.to))));
    case 'profile':
      return a.endpoints.forEach((e) => eps.setProfile(e, a.profile, eps.get(e).minTlsVersion));
    case 'clock':
      return p.setClock(clockTarget(a.to, p.clock.now()));
    case 'fault':
      for (const id of a.stop) p.faults.stop(id);
      for (const id of a.start) await p.faults.start(id);
      return;
    case 'drop':
      return a.endpoints.forEach((e) => void p.connections.drop(e));
  }
}
