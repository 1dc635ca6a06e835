/**
 * The endpoint table: each endpoint's live definition (what the timeline and the admin API may change:
 * profile, chain, leaf generation), the certificate material it serves, and the policy snapshot
 * decide() reads. One job: what each endpoint is and serves right now.
 */
import type { PkiStore } from '../pki/store.js';
import type { EventBus } from '../events/bus.js';
import {
  effectiveProfile,
  effectiveWindow,
  resolveEndpointProfile,
  type EffectiveProfile,
} from '../profiles/effective.js';
import { getProfile } from '../profiles/registry.js';
import { isWeighted, type ChainMaterial, type EndpointMaterial, type ServedChainSource } from '../pki/types.js';
import { ChainDraw } from './chain-draw.js';
import type { EndpointView, MiniEngineCaps, PolicyState } from '../tls/policy/types.js';
import type { ScenarioClock } from '../scenario/clock.js';
import { describeChainSource, resolveChain } from '../pki/resolve.js';
import type { CompiledEndpoint } from '../scenario/compile.js';
import { nextIntermediate } from '../scenario/timeline/rotation.js';
import { HubtlsError } from '../errors.js';
import { notice } from './notice.js';
import type { ChangeFeed } from './changes.js';

/** An endpoint's mutable state: what the timeline may change while the scenario runs. */
export interface LiveEndpoint extends CompiledEndpoint {
  /** Leaf generation: a "rotate leaf" step increments it (new key, same names). */
  generation: number;
}

/** What PkiStore.prepare takes: one chain to have ready. */
export type PrepareRequest = Parameters<PkiStore['prepare']>[0][number];

/** An endpoint's chains as loaded: the material (first options) and the weighted draws. */
interface Loaded {
  material: EndpointMaterial;
  draws: Partial<Record<'rsa' | 'ec', ChainDraw>>;
}

/** A policy snapshot and the scenario time (ms) it holds for: [from, until). */
interface Snapshot {
  state: PolicyState;
  from: number;
  until: number;
}

/** A reload's endpoint changes, loaded but not yet in force (see EndpointTable.stage). */
export interface StagedEndpoints {
  changed: string[];
  removed: string[];
  commit(): void;
}

export class EndpointTable {
  private readonly live = new Map<string, LiveEndpoint>();
  /** Endpoints a reload removed: their open connections still look them up. */
  private readonly retired = new Map<string, LiveEndpoint>();
  private readonly material = new Map<string, EndpointMaterial>();
  /** Endpoints serving a weighted chain: the draw per key type (the material above holds each first option). */
  private readonly draws = new Map<string, Partial<Record<'rsa' | 'ec', ChainDraw>>>();
  /** Policy snapshots by listener (its endpoint names), each valid until something it read changes. */
  private snapshots = new Map<string, Snapshot>();

  constructor(
    endpoints: readonly CompiledEndpoint[],
    private readonly pki: PkiStore,
    private readonly clock: ScenarioClock,
    private readonly bus: EventBus,
    /** Where each change made here is announced (runtime/changes.ts). */
    private readonly changes: ChangeFeed,
    /** What the mini engine can run (decide() routes to it); undefined: OpenSSL only. */
    private readonly mini?: MiniEngineCaps,
  ) {
    for (const ep of endpoints) this.live.set(ep.name, { ...ep, generation: 1 });
  }

  list(): LiveEndpoint[] {
    return [...this.live.values()];
  }

  names(): string[] {
    return [...this.live.keys()];
  }

  get(name: string): LiveEndpoint {
    const ep = this.live.get(name) ?? this.retired.get(name);
    if (!ep) throw new Error(`no endpoint named ${name}`);
    return ep;
  }

  readonly kindOf = (name: string): 'iothub' | 'dps' => this.get(name).kind;

  profileOf(ep: LiveEndpoint, now = this.clock.now()): EffectiveProfile {
    return effectiveProfile(resolveEndpointProfile(ep.profile, ep.minTlsVersion), now);
  }

  materialOf(name: string): EndpointMaterial {
    const m = this.material.get(name);
    if (!m) throw new Error(`chains of endpoint ${name} are not loaded`);
    return m;
  }

  /**
   * What one connection serves: the endpoint's material, with a chain drawn for each weighted source
   * (a mixed rollout). Each call is one draw.
   */
  drawMaterial(name: string): EndpointMaterial {
    const m = this.materialOf(name);
    const d = this.draws.get(name);
    if (!d) return m;
    return { ...m, ...(d.rsa && { rsa: d.rsa.next() }), ...(d.ec && { ec: d.ec.next() }) };
  }

  /** The weighted draws of an endpoint by key type (empty when it serves single chains). */
  drawsOf(name: string): Readonly<Partial<Record<'rsa' | 'ec', ChainDraw>>> {
    return this.draws.get(name) ?? {};
  }

  /** The catalog chains every endpoint serves at the scenario's now (one PKI pass generates them all). */
  chainRequests(validAt: Date): PrepareRequest[] {
    const ids = (src: ServedChainSource | undefined): string[] =>
      !src ? [] : isWeighted(src) ? src.weighted.flatMap((w) => ids(w.source)) : 'catalog' in src ? [src.catalog] : [];
    return this.list().flatMap((ep) =>
      [ep.chain, ep.eccChain]
        .flatMap(ids)
        .map((chainId) => ({ chainId, kind: ep.kind, generation: ep.generation, validAt })),
    );
  }

  /** (Re)loads every endpoint's chains; the old material serves until each resolves. */
  async loadAll(): Promise<void> {
    await Promise.all(this.names().map((n) => this.reload(n)));
  }

  /** A snapshot for decide(): the endpoints of one listener at the current scenario time. */
  policyState(endpointNames: readonly string[]): PolicyState {
    const now = this.clock.now();
    const key = endpointNames.join('\n');
    const known = this.snapshots.get(key);
    const t = now.getTime();
    if (known && t >= known.from && t < known.until) return known.state;
    const snap = this.snapshot(endpointNames, now);
    this.snapshots.set(key, snap);
    return snap.state;
  }

  /**
   * A new snapshot, and the scenario-time window it holds for: until the clock crosses a date rule
   * of one of its profiles (either way: the clock can be set back). Anything else that changes what
   * decide() reads goes through changed(), which drops every snapshot. A new snapshot object is a
   * new policy epoch: decisions cached per snapshot (tls/policy/decision-cache.ts) start afresh.
   */
  private snapshot(endpointNames: readonly string[], now: Date): Snapshot {
    const state: PolicyState = { endpoints: endpointNames.map((n) => this.view(this.get(n), now)), mini: this.mini };
    let from = -Infinity;
    let until = Infinity;
    for (const ep of state.endpoints) {
      const w = effectiveWindow(ep.profile.definition, now);
      from = Math.max(from, w.from);
      until = Math.min(until, w.until);
    }
    return { state, from, until };
  }

  /** Something decide() reads changed (endpoints, profiles, chains): every snapshot is stale. */
  private changed(): void {
    this.snapshots = new Map();
  }

  /** Serve another chain (root migration, defect fixture). Loaded first; the switch is atomic. */
  async setChain(endpoint: string, source: ServedChainSource, keyType: 'rsa' | 'ec' = 'rsa'): Promise<void> {
    const ep = this.get(endpoint);
    if (keyType === 'ec') ep.eccChain = source;
    else ep.chain = source;
    await this.reload(endpoint);
    this.changes.emit({ kind: 'chain', endpoint, source, keyType });
    const chain = describeChainSource(source);
    notice(this.bus, 'chain', `${endpoint} now serves ${keyType.toUpperCase()} chain ${chain}`, {
      endpoint,
      keyType,
      chain,
    });
  }

  /**
   * New leaf key and serial, same names and issuer: breaks leaf pinning, not root trust. `generation`:
   * the one to serve (a worker follows the primary's), else the next.
   */
  async rotateLeaf(endpoint: string, generation?: number): Promise<void> {
    const ep = this.get(endpoint);
    ep.generation = generation ?? ep.generation + 1;
    await this.reload(endpoint);
    this.changes.emit({ kind: 'leaf', endpoint, generation: ep.generation });
    const msg = `${endpoint} leaf rotated to generation ${ep.generation}`;
    notice(this.bus, 'rotate-leaf', msg, { endpoint, generation: ep.generation });
  }

  /** Another issuing CA under the same root (g2 → g2-ca04): leaf and intermediate pins break, root trust holds. */
  async rotateIntermediate(endpoint: string, to?: string): Promise<void> {
    const ep = this.get(endpoint);
    const from = !isWeighted(ep.chain) && 'catalog' in ep.chain ? ep.chain.catalog : undefined;
    const target = to ?? (from === undefined ? undefined : nextIntermediate(from));
    if (!target) {
      const what = from ?? (isWeighted(ep.chain) ? 'a weighted mix of chains' : 'a chain from PEM files');
      const msg = `endpoint ${endpoint} serves ${what}, which has no known next issuing CA`;
      throw new HubtlsError('HUBTLS_NO_ROTATION', msg, 'name the chain to rotate to, e.g. rotateIntermediate: g2-ca04');
    }
    ep.chain = { catalog: target };
    await this.reload(endpoint);
    this.changes.emit({ kind: 'intermediate', endpoint, to: target });
    const msg = `${endpoint} rotated its issuing CA: chain ${from ?? 'files'} → ${target} (new leaf and intermediate, same root)`;
    notice(this.bus, 'rotate-intermediate', msg, { endpoint, from, to: target });
  }

  setProfile(endpoint: string, profile: string, minTlsVersion?: '1.2'): void {
    getProfile(profile);
    const ep = this.get(endpoint);
    ep.profile = profile;
    ep.minTlsVersion = minTlsVersion;
    this.changed();
    this.changes.emit({ kind: 'profile', endpoint, profile, minTlsVersion });
    const id = this.profileOf(ep).id;
    notice(this.bus, 'profile', `${endpoint} now runs profile ${id}`, { endpoint, profile: id });
  }

  /**
   * A reloaded scenario's endpoints. Those whose definition is unchanged keep their live state (chain a
   * step switched to, rotated leaf); changed and new ones start from the file. Every chain is loaded
   * here; nothing is in force until commit().
   */
  async stage(before: readonly CompiledEndpoint[], next: readonly CompiledEndpoint[]): Promise<StagedEndpoints> {
    const was = new Map(before.map((e) => [e.name, JSON.stringify(e)]));
    const changed = next.filter((e) => was.get(e.name) !== JSON.stringify(e)).map((e) => ({ ...e, generation: 1 }));
    const staged = await Promise.all(changed.map(async (ep) => ({ ep, ...(await this.loadMaterial(ep)) })));
    const removed = [...was.keys()].filter((n) => !next.some((e) => e.name === n));
    const commit = () => {
      for (const n of removed) {
        this.retired.set(n, this.live.get(n)!);
        this.live.delete(n);
      }
      for (const { ep, material, draws } of staged) {
        this.live.set(ep.name, ep);
        this.setMaterial(ep.name, material, draws);
        this.retired.delete(ep.name);
      }
      this.changed();
    };
    return { changed: changed.map((e) => e.name), removed, commit };
  }

  /** (Re)loads one endpoint's chains after a change; the old material serves until this resolves. */
  private async reload(name: string): Promise<void> {
    const { material, draws } = await this.loadMaterial(this.get(name));
    this.setMaterial(name, material, draws);
    this.changed();
  }

  private setMaterial(name: string, material: EndpointMaterial, draws: Loaded['draws']): void {
    this.material.set(name, material);
    if (draws.rsa || draws.ec) this.draws.set(name, draws);
    else this.draws.delete(name);
  }

  /** Resolves an endpoint's chains at the current scenario time (nothing is swapped here). */
  private async loadMaterial(ep: LiveEndpoint): Promise<Loaded> {
    const [rsa, ec] = await Promise.all([
      this.loadSource(ep, ep.chain),
      ep.eccChain && this.loadSource(ep, ep.eccChain),
    ]);
    const first = (x: ChainDraw | ChainMaterial) => (x instanceof ChainDraw ? x.first : x);
    const main = first(rsa);
    const material: EndpointMaterial = main.keyType === 'ec' ? { ec: main } : { rsa: main };
    const draws: Loaded['draws'] = rsa instanceof ChainDraw ? { [main.keyType]: rsa } : {};
    if (ec) material.ec = first(ec);
    if (ec instanceof ChainDraw) draws.ec = ec;
    return { material, draws };
  }

  /** One chain, or a draw over a weighted source's chains (all loaded now, so no connection waits). */
  private async loadSource(ep: LiveEndpoint, source: ServedChainSource): Promise<ChainMaterial | ChainDraw> {
    const req = { kind: ep.kind, generation: ep.generation, validAt: this.clock.now() };
    if (!isWeighted(source)) return resolveChain({ ...req, source }, this.pki);
    const options = await Promise.all(
      source.weighted.map(async (w) => ({
        material: await resolveChain({ ...req, source: w.source }, this.pki),
        weight: w.weight,
      })),
    );
    return new ChainDraw(options, source.seed);
  }

  private view(ep: LiveEndpoint, now: Date): EndpointView {
    const m = this.material.get(ep.name) ?? {};
    const profile = this.profileOf(ep, now);
    const chains: EndpointView['chains'] = {};
    for (const t of profile.definition.certKeyTypes) if (m[t]) chains[t] = m[t]!.chainId;
    return { name: ep.name, kind: ep.kind, hostnames: ep.hostnames, isDefault: ep.isDefault, profile, chains };
  }
}
