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
import { resolveChain } from './chains.js';
import type { ChainSource, CompiledEndpoint, CompiledScenario } from './compile.js';
import { getProfile } from '../profiles/registry.js';
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
  /** Devices, enrollments, twins and received telemetry (after-TLS modes and the admin API). */
  readonly devices: DeviceRegistry;

  constructor(
    readonly scenario: CompiledScenario,
    readonly pki: PkiStore,
    readonly bus: EventBus,
  ) {
    this.clock = new ScenarioClock(scenario.clock);
    for (const ep of scenario.endpoints) this.live.set(ep.name, { ...ep, generation: 1 });
    this.devices = new DeviceRegistry(scenario.devices, () => this.clock.now());
  }

  endpoints(): LiveEndpoint[] {
    return [...this.live.values()];
  }

  endpoint(name: string): LiveEndpoint {
    const ep = this.live.get(name);
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
    await this.pki.prepare(requests);
    await Promise.all([...this.endpoints().map((ep) => this.reload(ep.name)), this.devices.load(this.pki)]);
  }

  /** (Re)loads one endpoint's chains after a change; the old material serves until this resolves. */
  async reload(name: string): Promise<void> {
    const ep = this.endpoint(name);
    const validAt = this.clock.now();
    const req = { kind: ep.kind, generation: ep.generation, validAt };
    const [rsa, ec] = await Promise.all([
      resolveChain({ ...req, source: ep.chain }, this.pki),
      ep.eccChain ? resolveChain({ ...req, source: ep.eccChain }, this.pki) : Promise.resolve(undefined),
    ]);
    const m: EndpointMaterial = rsa.keyType === 'ec' ? { ec: rsa } : { rsa };
    if (ec) m.ec = ec;
    this.material.set(name, m);
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
    return { now, endpoints, mini: this.mini };
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
  }

  private notice(what: string, msg: string, fields: Record<string, unknown>): void {
    this.bus.publish({ type: 'notice', level: 'info', what, msg, ...fields });
  }
}

function describeSource(source: ChainSource): string {
  return 'catalog' in source ? source.catalog : `file:${source.files.cert}`;
}
