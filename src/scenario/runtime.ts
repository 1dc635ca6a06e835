/**
 * The running scenario: the clock, each endpoint's current profile and chains, and the loaded
 * certificate material. Listeners read snapshots of it; the timeline and the admin API change it.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PkiStore } from '../pki/store.js';
import type { EventBus } from '../events/bus.js';
import { effectiveProfile, resolveEndpointProfile, type EffectiveProfile } from '../profiles/effective.js';
import type { EndpointMaterial } from '../tls/contexts.js';
import type { EndpointView, MiniEngineCaps, PolicyState } from '../tls/policy/types.js';
import { ScenarioClock } from './clock.js';
import { resolveChain } from '../pki/resolve.js';
import type { ChainSource, CompiledEndpoint, CompiledScenario } from './compile.js';
import { getProfile } from '../profiles/registry.js';
import { HubtlsError } from '../errors.js';
import { FaultSet, view, type FaultView } from '../faults/fault-set.js';
import { FaultChains } from '../faults/chains.js';
import { ConnectionFaults, type ConnectionSide } from '../faults/connection-faults.js';
import { checkFaultSpec } from '../faults/params.js';
import type { FaultSpec } from '../faults/types.js';
import { nextIntermediate } from './timeline/rotation.js';
import type { Timeline } from './timeline.js';

/** A fault given at run time (admin API): like a scenario's fault use, with its endpoint. */
export interface NewFault {
  endpoint: string;
  fault: string;
  params?: Record<string, unknown>;
  id?: string;
  probability?: number;
  everyNth?: number;
}
import { DeviceRegistry } from '../device/registry.js';

/** An endpoint's mutable state: what the timeline may change while the scenario runs. */
export interface LiveEndpoint extends CompiledEndpoint {
  /** Leaf generation: a "rotate leaf" step increments it (new key, same names). */
  generation: number;
}

export class Runtime {
  readonly clock: ScenarioClock;
  private readonly live = new Map<string, LiveEndpoint>();
  private readonly material = new Map<string, EndpointMaterial>();
  private readonly sockets = new Map<string, Set<Socket>>();
  private readonly outer = new WeakMap<Socket, Duplex>();
  mini?: MiniEngineCaps;
  /** The scenario's faults: declared, active, counters. */
  readonly faults: FaultSet;
  /** Chains faults serve (serve-defect), loaded before they start. */
  private readonly faultChains: FaultChains;
  /** Endpoints a reload removed: their open connections still look them up. */
  private readonly retired = new Map<string, LiveEndpoint>();
  /** Set by the hub when the scenario's timeline runs. */
  timeline?: Timeline;
  /** Devices, enrollments, twins and received telemetry (after-TLS modes and the admin API). */
  readonly devices: DeviceRegistry;

  constructor(
    public scenario: CompiledScenario,
    readonly pki: PkiStore,
    readonly bus: EventBus,
    opts: { random?: () => number } = {},
  ) {
    this.clock = new ScenarioClock(scenario.clock);
    for (const ep of scenario.endpoints) this.live.set(ep.name, { ...ep, generation: 1 });
    this.faults = new FaultSet(opts.random);
    this.faults.replace(scenario.faults);
    this.faultChains = new FaultChains(pki, () => this.clock.now());
    this.devices = new DeviceRegistry(scenario.devices, () => this.clock.now());
  }

  endpoints(): LiveEndpoint[] {
    return [...this.live.values()];
  }

  endpoint(name: string): LiveEndpoint {
    const ep = this.live.get(name) ?? this.retired.get(name);
    if (!ep) throw new Error(`no endpoint named ${name}`);
    return ep;
  }

  profileOf(ep: LiveEndpoint, now = this.clock.now()): EffectiveProfile {
    return effectiveProfile(resolveEndpointProfile(ep.profile, ep.minTlsVersion), now);
  }

  materialOf(name: string): EndpointMaterial {
    const m = this.material.get(name);
    if (!m) throw new Error(`chains of endpoint ${name} are not loaded`);
    return m;
  }

  /** Loads (generating where needed) every endpoint's chains, all in parallel. */
  async prepare(): Promise<void> {
    // One PKI pass generates every missing key in parallel; the reloads then only read.
    const validAt = this.clock.now();
    const requests = this.endpoints().flatMap((ep) =>
      [ep.chain, ep.eccChain].flatMap((src) => (src && 'catalog' in src ? [{ chainId: src.catalog, kind: ep.kind, generation: ep.generation, validAt }] : [])),
    );
    const faults = this.faults.all().map((f) => f.spec);
    await this.pki.prepare([...requests, ...this.faultChains.requests(faults, this.kindOf)]);
    await Promise.all([...this.endpoints().map((ep) => this.reload(ep.name)), this.faultChains.load(faults, this.kindOf), this.devices.load(this.pki)]);
  }

  /** (Re)loads one endpoint's chains after a change; the old material serves until this resolves. */
  async reload(name: string): Promise<void> {
    this.material.set(name, await this.loadMaterial(this.endpoint(name)));
  }

  /** Resolves an endpoint's chains at the current scenario time (nothing is swapped here). */
  async loadMaterial(ep: LiveEndpoint): Promise<EndpointMaterial> {
    const validAt = this.clock.now();
    const req = { kind: ep.kind, generation: ep.generation, validAt };
    const [rsa, ec] = await Promise.all([
      resolveChain({ ...req, source: ep.chain }, this.pki),
      ep.eccChain ? resolveChain({ ...req, source: ep.eccChain }, this.pki) : Promise.resolve(undefined),
    ]);
    const m: EndpointMaterial = rsa.keyType === 'ec' ? { ec: rsa } : { rsa };
    if (ec) m.ec = ec;
    return m;
  }

  private view(ep: LiveEndpoint, now: Date): EndpointView {
    const m = this.material.get(ep.name) ?? {};
    const profile = this.profileOf(ep, now);
    const chains: EndpointView['chains'] = {};
    for (const t of profile.definition.certKeyTypes) if (m[t]) chains[t] = m[t]!.chainId;
    return { name: ep.name, kind: ep.kind, hostnames: ep.hostnames, isDefault: ep.isDefault, profile, chains };
  }

  /** A snapshot for decide(): the endpoints of one listener at the current scenario time. */
  policyState(endpointNames: readonly string[]): PolicyState {
    const now = this.clock.now();
    const endpoints = endpointNames.map((n) => this.view(this.endpoint(n), now));
    return { endpoints, mini: this.mini };
  }

  /** Connections routed to an endpoint, so a timeline step can drop them (a gateway restart). */
  track(endpoint: string, socket: Socket): void {
    const set = this.sockets.get(endpoint) ?? new Set<Socket>();
    this.sockets.set(endpoint, set.add(socket));
    socket.once('close', () => set.delete(socket));
  }

  /**
   * The TLS stream running on a tracked socket once the handshake is done. drop() must destroy that
   * outer stream: destroying the TCP socket under a live TLSSocket that then writes (an MQTT session
   * ending with close_notify) crashes Node 20 with SIGSEGV.
   */
  session(socket: Socket, stream: Duplex): void {
    this.outer.set(socket, stream);
  }

  openConnections(endpoint: string): number {
    return this.sockets.get(endpoint)?.size ?? 0;
  }

  /** Drops every connection of one endpoint (or all): devices meet the new state on reconnect. */
  drop(endpoint?: string): number {
    let n = 0;
    for (const [name, set] of this.sockets) {
      if (endpoint && name !== endpoint) continue;
      for (const s of set) (this.outer.get(s) ?? s).destroy(), n++;
    }
    this.notice('drop', `dropped ${n} connection(s)${endpoint ? ` of ${endpoint}` : ''}`, { endpoint, dropped: n });
    return n;
  }

  /** Serve another chain (root migration, defect fixture). Loaded first; the switch is atomic. */
  async setChain(endpoint: string, source: ChainSource, keyType: 'rsa' | 'ec' = 'rsa'): Promise<void> {
    const ep = this.endpoint(endpoint);
    if (keyType === 'ec') ep.eccChain = source;
    else ep.chain = source;
    await this.reload(endpoint);
    this.notice('chain', `${endpoint} now serves ${keyType.toUpperCase()} chain ${describeSource(source)}`, { endpoint, keyType, chain: describeSource(source) });
  }

  /** New leaf key and serial, same names and issuer: breaks leaf pinning, not root trust. */
  async rotateLeaf(endpoint: string): Promise<void> {
    const ep = this.endpoint(endpoint);
    ep.generation += 1;
    await this.reload(endpoint);
    this.notice('rotate-leaf', `${endpoint} leaf rotated to generation ${ep.generation}`, { endpoint, generation: ep.generation });
  }

  setProfile(endpoint: string, profile: string, minTlsVersion?: '1.2'): void {
    getProfile(profile);
    const ep = this.endpoint(endpoint);
    ep.profile = profile;
    ep.minTlsVersion = minTlsVersion;
    this.notice('profile', `${endpoint} now runs profile ${this.profileOf(ep).id}`, { endpoint, profile: this.profileOf(ep).id });
  }

  /** Moves the scenario clock; chains are re-issued where their windows no longer cover it. */
  async setClock(to: Date): Promise<void> {
    this.clock.set(to);
    await this.prepare();
    this.notice('clock', `scenario clock set to ${to.toISOString()}`, { now: to.toISOString() });
    this.timeline?.clockMoved();
  }

  /** Another issuing CA under the same root (g2 → g2-ca04): leaf and intermediate pins break, root trust holds. */
  async rotateIntermediate(endpoint: string, to?: string): Promise<void> {
    const ep = this.endpoint(endpoint);
    const from = 'catalog' in ep.chain ? ep.chain.catalog : undefined;
    const target = to ?? (from === undefined ? undefined : nextIntermediate(from));
    if (!target) throw new HubtlsError('HUBTLS_NO_ROTATION', `endpoint ${endpoint} serves ${from ?? 'a chain from PEM files'}, which has no known next issuing CA`, 'name the chain to rotate to, e.g. rotateIntermediate: g2-ca04');
    ep.chain = { catalog: target };
    await this.reload(endpoint);
    this.notice('rotate-intermediate', `${endpoint} rotated its issuing CA: chain ${from ?? 'files'} → ${target} (new leaf and intermediate, same root)`, { endpoint, from, to: target });
  }

  /** Runs an `on: admin` step (or the waiting step at once). Resolves once its actions are done. */
  async trigger(stepId: string): Promise<void> {
    if (!this.timeline) throw new HubtlsError('HUBTLS_NO_TIMELINE', 'this scenario has no timeline running', 'add a timeline: section to the scenario');
    await this.timeline.trigger(stepId);
  }

  /** The faults acting on a new connection to `endpoint`, or undefined when none does. */
  faultsFor(endpoint: string, side: Omit<ConnectionSide, 'chain' | 'lateAct'>): ConnectionFaults | undefined {
    const chosen = this.faults.select(endpoint);
    if (chosen.length === 0) return undefined;
    const kind = this.endpoint(endpoint).kind;
    const lateAct: ConnectionSide['lateAct'] = (r) => this.notice('fault', `conn ${side.conn}: fault ${r.id} (${r.fault}) ${r.detail ?? 'acted'}`, { conn: side.conn, endpoint, fault: r });
    return new ConnectionFaults(chosen, { ...side, lateAct, chain: (id) => this.faultChains.get(kind, id) });
  }

  /** Starts a declared fault by id, or adds and starts a new one. */
  async startFault(ref: string | NewFault): Promise<FaultView> {
    const id = typeof ref === 'string' ? ref : this.addFault(ref);
    const f = this.faults.get(id);
    await this.faultChains.load([f.spec], this.kindOf);
    this.faults.setActive(id, true);
    this.notice('fault-start', `fault ${id} (${f.def.name}) started on ${f.spec.endpoint}: ${view(f).explanation}`, { fault: view(f) });
    return view(f);
  }

  stopFault(id: string): FaultView {
    const f = this.faults.setActive(id, false);
    this.notice('fault-stop', `fault ${id} (${f.def.name}) stopped on ${f.spec.endpoint}`, { fault: view(f) });
    return view(f);
  }

  private addFault(n: NewFault): string {
    let id = n.id ?? `${n.endpoint}.${n.fault}`;
    for (let k = 2; !n.id && this.faults.has(id); k++) id = `${n.endpoint}.${n.fault}-${k}`;
    const spec: FaultSpec = { id, endpoint: n.endpoint, fault: n.fault, params: n.params ?? {}, active: false, probability: n.probability, everyNth: n.everyNth };
    checkFaultSpec(spec, this.endpoints().map((e) => e.name), this.pki.listChains().map((c) => c.id));
    this.faults.add(spec);
    return id;
  }

  private readonly kindOf = (endpoint: string) => this.endpoint(endpoint).kind;

  /**
   * A reloaded scenario. Endpoints whose definition is unchanged keep their live state (chain a step
   * switched to, rotated leaf); changed and new ones start from the file. Every chain is loaded
   * before anything is swapped. Returns the names of the endpoints that changed.
   */
  async adopt(next: CompiledScenario): Promise<{ changed: string[]; removed: string[] }> {
    const before = new Map(this.scenario.endpoints.map((e) => [e.name, JSON.stringify(e)]));
    const changed = next.endpoints.filter((e) => before.get(e.name) !== JSON.stringify(e)).map((e) => ({ ...e, generation: 1 }));
    const staged = await Promise.all(changed.map(async (ep) => ({ ep, material: await this.loadMaterial(ep) })));
    await this.faultChains.load(next.faults, (e) => next.endpoints.find((x) => x.name === e)!.kind);
    const removed = [...before.keys()].filter((n) => !next.endpoints.some((e) => e.name === n));
    for (const n of removed) this.retired.set(n, this.live.get(n)!), this.live.delete(n);
    for (const { ep, material } of staged) this.live.set(ep.name, ep), this.material.set(ep.name, material), this.retired.delete(ep.name);
    this.faults.replace(next.faults);
    if (JSON.stringify(next.clock) !== JSON.stringify(this.scenario.clock)) this.clock.reset(next.clock);
    this.scenario = next;
    return { changed: changed.map((e) => e.name), removed };
  }

  private notice(what: string, msg: string, fields: Record<string, unknown>): void {
    this.bus.publish({ type: 'notice', level: 'info', what, msg, ...fields });
  }
}

function describeSource(source: ChainSource): string {
  return 'catalog' in source ? source.catalog : `file:${source.files.cert}`;
}
