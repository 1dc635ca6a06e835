/**
 * decide() once per (ClientHello shape, policy snapshot). decide() is pure, so its answer for one
 * shape changes only when the snapshot does; the runtime hands out a new PolicyState object
 * whenever anything decide() reads changes (a reload, a timeline step, a chain or profile switch,
 * the scenario clock crossing a dated rule: runtime/endpoints.ts), so the snapshot's identity is
 * the policy epoch and the cache follows it (a WeakMap: an old epoch's answers go with it).
 * Each caller gets its own copy of `notes`, which the connection appends to.
 */
import type { ClientHelloSummary } from '../clienthello.js';
import { decide } from './decide.js';
import type { Decision, PolicyState } from './types.js';

export class DecisionCache {
  private readonly byState = new WeakMap<PolicyState, Map<string, Decision>>();

  constructor(private readonly limit = 256) {}

  decide(shape: string | undefined, hello: ClientHelloSummary, state: PolicyState): Decision {
    if (shape === undefined) return decide(hello, state);
    let known = this.byState.get(state);
    if (!known) this.byState.set(state, (known = new Map()));
    let d = known.get(shape);
    if (!d) {
      d = decide(hello, state);
      if (known.size >= this.limit) known.delete(known.keys().next().value!);
      known.set(shape, d);
    }
    return { ...d, notes: [...d.notes] };
  }
}
