/**
 * Fault control: the scenario's faults (declared, active, counters), the chains they serve, which
 * faults act on a new connection, and starting or stopping one at run time. One job: faults.
 */
import type { EventBus } from '../events/bus.js';
import type { PkiStore } from '../pki/store.js';
import type { ScenarioClock } from '../scenario/clock.js';
import { FaultSet, view, type FaultView } from '../faults/fault-set.js';
import { FaultChains } from '../faults/chains.js';
import { ConnectionFaults, type ConnectionSide } from '../faults/connection-faults.js';
import { checkFaultSpec } from '../faults/params.js';
import type { FaultSpec } from '../faults/types.js';
import type { EndpointTable, PrepareRequest } from './endpoints.js';
import { notice } from './notice.js';
import type { ChangeFeed, NewFault } from './changes.js';

export type { NewFault } from './changes.js';

/** What a connection lends its faults, less what fault control adds (chains, late-act notices). */
export type FaultSide = Omit<ConnectionSide, 'chain' | 'lateAct'>;

export class FaultControl {
  private readonly set: FaultSet;
  private readonly chains: FaultChains;

  constructor(
    specs: readonly FaultSpec[],
    private readonly endpoints: EndpointTable,
    private readonly pki: PkiStore,
    clock: ScenarioClock,
    private readonly bus: EventBus,
    private readonly changes: ChangeFeed,
    random?: () => number,
  ) {
    this.set = new FaultSet(random);
    this.set.replace(specs);
    this.chains = new FaultChains(pki, () => clock.now());
  }

  /** Every fault with its state and counters (admin API, tests). */
  list(): FaultView[] {
    return this.set.list();
  }

  /** The chains the declared faults serve, for one joint PkiStore.prepare pass. */
  chainRequests(): PrepareRequest[] {
    return this.chains.requests(this.specs(), this.endpoints.kindOf);
  }

  /** Loads the chains the declared faults serve (before they can act). */
  async loadChains(): Promise<void> {
    await this.chains.load(this.specs(), this.endpoints.kindOf);
  }

  /** The faults acting on a new connection to `endpoint`, or undefined when none does. */
  forConnection(endpoint: string, side: FaultSide): ConnectionFaults | undefined {
    const chosen = this.set.select(endpoint);
    if (chosen.length === 0) return undefined;
    const kind = this.endpoints.kindOf(endpoint);
    const lateAct: ConnectionSide['lateAct'] = (r) =>
      notice(this.bus, 'fault', `conn ${side.conn}: fault ${r.id} (${r.fault}) ${r.detail ?? 'acted'}`, {
        conn: side.conn,
        endpoint,
        fault: r,
      });
    return new ConnectionFaults(chosen, { ...side, lateAct, chain: (id) => this.chains.get(kind, id) });
  }

  /** Starts a declared fault by id, or adds and starts a new one. */
  async start(ref: string | NewFault): Promise<FaultView> {
    const id = typeof ref === 'string' ? ref : this.add(ref);
    const f = this.set.get(id);
    await this.chains.load([f.spec], this.endpoints.kindOf);
    this.set.setActive(id, true);
    this.changes.emit({ kind: 'fault-start', ref: typeof ref === 'string' ? ref : { ...ref, id } });
    const msg = `fault ${id} (${f.def.name}) started on ${f.spec.endpoint}: ${view(f).explanation}`;
    notice(this.bus, 'fault-start', msg, { fault: view(f) });
    return view(f);
  }

  stop(id: string): FaultView {
    const f = this.set.setActive(id, false);
    this.changes.emit({ kind: 'fault-stop', id });
    notice(this.bus, 'fault-stop', `fault ${id} (${f.def.name}) stopped on ${f.spec.endpoint}`, { fault: view(f) });
    return view(f);
  }

  /** A reload's faults: their chains are loaded here; `commit` puts them in force. */
  async stage(next: readonly FaultSpec[], kindOf: (endpoint: string) => 'iothub' | 'dps'): Promise<() => void> {
    await this.chains.load(next, kindOf);
    return () => this.set.replace(next);
  }

  private specs(): FaultSpec[] {
    return this.set.all().map((f) => f.spec);
  }

  private add(n: NewFault): string {
    let id = n.id ?? `${n.endpoint}.${n.fault}`;
    for (let k = 2; !n.id && this.set.has(id); k++) id = `${n.endpoint}.${n.fault}-${k}`;
    const spec: FaultSpec = {
      id,
      endpoint: n.endpoint,
      fault: n.fault,
      params: n.params ?? {},
      active: false,
      probability: n.probability,
      everyNth: n.everyNth,
    };
    checkFaultSpec(
      spec,
      this.endpoints.names(),
      this.pki.listChains().map((c) => c.id),
    );
    this.set.add(spec);
    return id;
  }
}
