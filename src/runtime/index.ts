/**
 * The running scenario, as parts with one job each, composed here through their constructors:
 * the clock, the endpoint table, fault control, the connection registry, the device registry and
 * the timeline. Nothing is assigned after construction. Serving, the admin API and reload take the
 * parts they need, not the whole.
 */
import type { EventBus } from '../events/bus.js';
import type { PkiStore } from '../pki/store.js';
import { ScenarioClock } from '../scenario/clock.js';
import type { CompiledScenario } from '../scenario/compile.js';
import type { MiniEngineCaps } from '../tls/policy/types.js';
import { DeviceRegistry } from '../core/registry.js';
import { EndpointTable } from './endpoints.js';
import { FaultControl } from './faults.js';
import { ConnectionRegistry } from './connections.js';
import { TimelineControl } from './timeline/control.js';
import { applyAction } from './timeline/actions.js';
import { notice } from './notice.js';
import { ChangeFeed } from './changes.js';

/** The scenario in force (a reload replaces it). */
export class ActiveScenario {
  constructor(private scenario: CompiledScenario) {}

  get current(): CompiledScenario {
    return this.scenario;
  }

  replace(next: CompiledScenario): void {
    this.scenario = next;
  }
}

export interface RuntimeParts {
  readonly bus: EventBus;
  readonly pki: PkiStore;
  readonly scenario: ActiveScenario;
  readonly clock: ScenarioClock;
  readonly endpoints: EndpointTable;
  readonly faults: FaultControl;
  readonly connections: ConnectionRegistry;
  readonly devices: DeviceRegistry;
  readonly timeline: TimelineControl;
  /** Every change the timeline or the admin API made, as data (runtime/changes.ts). */
  readonly changes: ChangeFeed;
  /** Moves the scenario clock; chains are re-issued where their windows no longer cover it. */
  setClock(to: Date): Promise<void>;
}

export interface RuntimeOptions {
  /** What the mini TLS engine can run; undefined: every handshake goes to OpenSSL. */
  mini?: MiniEngineCaps;
  /** Fault probabilities (tests pass a seeded one). */
  random?: () => number;
  /** false: the timeline never starts here (a worker follows the primary's changes instead). */
  timeline?: boolean;
}

/** Builds every part and loads (generating where needed) all certificate material. The timeline is not started. */
export async function createRuntime(
  s: CompiledScenario,
  pki: PkiStore,
  bus: EventBus,
  o: RuntimeOptions = {},
): Promise<RuntimeParts> {
  const clock = new ScenarioClock(s.clock);
  const changes = new ChangeFeed();
  const endpoints = new EndpointTable(s.endpoints, pki, clock, bus, changes, o.mini);
  const faults = new FaultControl(s.faults, endpoints, pki, clock, bus, changes, o.random);
  const connections = new ConnectionRegistry(bus, changes);
  const devices = new DeviceRegistry(s.devices, () => clock.now());
  const loadMaterial = async () => {
    // One PKI pass generates every missing key in parallel; the loads after it only read.
    await pki.prepare([...endpoints.chainRequests(clock.now()), ...faults.chainRequests()]);
    await Promise.all([endpoints.loadAll(), faults.loadChains(), devices.load(pki)]);
  };
  const setClock = async (to: Date) => {
    clock.set(to);
    changes.emit({ kind: 'clock', to: to.toISOString(), rate: clock.rate });
    await loadMaterial();
    notice(bus, 'clock', `scenario clock set to ${to.toISOString()}`, { now: to.toISOString() });
  };
  const timeline = new TimelineControl(
    {
      clock,
      bus,
      apply: (a) => applyAction({ clock, endpoints, faults, connections, setClock }, a),
    },
    o.timeline ?? true,
  );
  await loadMaterial();
  return {
    bus,
    pki,
    scenario: new ActiveScenario(s),
    clock,
    endpoints,
    faults,
    connections,
    devices,
    timeline,
    changes,
    setClock,
  };
}

/**
 * A reloaded scenario, staged: every chain it needs is loaded before anything changes; `commit`
 * swaps endpoints, faults, clock and the scenario in force at once.
 */
export async function stageScenario(
  rt: RuntimeParts,
  next: CompiledScenario,
): Promise<{ changed: string[]; removed: string[]; commit(): void }> {
  const before = rt.scenario.current;
  const eps = await rt.endpoints.stage(before.endpoints, next.endpoints);
  const faults = await rt.faults.stage(next.faults, (e) => next.endpoints.find((x) => x.name === e)!.kind);
  const commit = () => {
    eps.commit();
    faults();
    if (JSON.stringify(next.clock) !== JSON.stringify(before.clock)) rt.clock.reset(next.clock);
    rt.scenario.replace(next);
  };
  return { changed: eps.changed, removed: eps.removed, commit };
}
