/**
 * The faults acting on one connection: builds each fault's hooks with a context, runs them at the
 * connection's stages, and shapes the handshake verdict (HUBTLS_FAULT_INJECTED and the `faults`
 * field) from what the faults say they did.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EndpointMaterial } from '../pki/types.js';
import type { Established } from '../tls/engines/types.js';
import type { OutcomeCode } from '../events/outcomes.js';
import type { RecordFaults } from '../tls/record-faults/faults.js';
import { FaultWire } from './wire.js';
import type { FaultInstance } from './fault-set.js';
import type { FaultContext, FaultHooks, FaultRecord, FaultTakeover } from './types.js';

/** What the connection lends to its faults: a fault's context, less what ConnectionFaults adds itself. */
export interface ConnectionSide extends Omit<FaultContext, 'phase' | 'act'> {
  /** A fault acted after the handshake event was published. */
  lateAct(record: FaultRecord): void;
}

interface Armed {
  inst: FaultInstance;
  hooks: FaultHooks;
}

/** A client refusing our certificates says more than "a fault acted" (the fault is still listed). */
const CERTIFICATE_ALERTS = [
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'certificate_unknown',
  'unknown_ca',
];

export class ConnectionFaults {
  readonly records: FaultRecord[] = [];
  private readonly actedIds = new Set<string>();
  private readonly armed: Armed[];
  private reported = false;
  private phase: 'handshake' | 'established' = 'handshake';

  constructor(
    instances: FaultInstance[],
    private readonly side: ConnectionSide,
  ) {
    this.armed = instances.map((inst) => ({ inst, hooks: inst.def.create(inst.params as never, this.context(inst)) }));
  }

  private context(inst: FaultInstance): FaultContext {
    const { lateAct: _lateAct, ...lent } = this.side;
    return { ...lent, phase: () => this.phase, act: (detail) => this.act(inst, detail) };
  }

  private act(inst: FaultInstance, detail?: string): void {
    const record: FaultRecord = {
      id: inst.spec.id,
      fault: inst.def.name,
      explanation: inst.def.explain(inst.params as never),
      detail,
    };
    if (this.records.some((r) => r.id === record.id && r.detail === detail)) return;
    if (!this.actedIds.has(record.id)) inst.acted += 1; // counts connections, not acts
    this.actedIds.add(record.id);
    if (this.reported) this.side.lateAct(record);
    else this.records.push(record);
  }

  /** Runs every hello hook in order; the first takeover ends the connection's normal path. */
  async atHello(): Promise<FaultTakeover | undefined> {
    for (const a of this.armed) {
      const r = await a.hooks.hello?.();
      if (r) return r;
      if (this.side.socket.destroyed) return { ended: 'the connection closed while a fault held it' };
    }
    return undefined;
  }

  /** The chains to serve after material hooks, and a cache-key suffix when they changed. */
  material(served: EndpointMaterial): { material: EndpointMaterial; key: string } {
    let m = served;
    const ids: string[] = [];
    for (const a of this.armed.filter((x) => x.hooks.material)) {
      m = a.hooks.material!(m);
      ids.push(a.inst.spec.id);
    }
    return {
      material: m,
      key: ids.length
        ? `|faults:${ids.join(',')}:${Object.values(m)
            .map((c) => c?.chainId)
            .join(',')}`
        : '',
    };
  }

  /** A stream for the engine with the wire transforms in place, or the socket itself if none. */
  wire(socket: Socket): Duplex {
    const s2c = this.armed.flatMap((a) => (a.hooks.serverToClient ? [a.hooks.serverToClient] : []));
    const c2s = this.armed.flatMap((a) => (a.hooks.clientToServer ? [a.hooks.clientToServer] : []));
    return s2c.length || c2s.length ? new FaultWire(socket, s2c, c2s) : socket;
  }

  /**
   * Record faults for the mini engine, merged; `apply()` records that they act (call it only when
   * the connection does go to the mini engine).
   */
  recordFaults(): { faults: RecordFaults; apply(): void; ids: string[] } | undefined {
    const asking = this.armed.filter((a) => a.hooks.records);
    if (asking.length === 0) return undefined;
    const faults = Object.assign({}, ...asking.map((a) => a.hooks.records!.faults)) as RecordFaults;
    const apply = () => asking.forEach((a) => this.act(a.inst, a.hooks.records!.detail));
    return { faults, apply, ids: asking.map((a) => a.inst.spec.id) };
  }

  established(est: Established): void {
    this.phase = 'established';
    for (const a of this.armed) a.hooks.established?.(est);
  }

  /** "fault x (kind) did this (and 3 more times)": one phrase per fault, however often it acted. */
  private said(id: string): string {
    const mine = this.records.filter((r) => r.id === id);
    const more = mine.length > 1 ? ` (and ${mine.length - 1} more)` : '';
    return `fault ${id} (${mine[0]!.fault}) ${mine[0]!.detail ?? 'acted'}${more}`;
  }

  /** The handshake verdict with the faults that acted; later acts become notices. */
  verdict<V extends { outcome: OutcomeCode; reason: string; alertReceived?: string }>(
    v: V,
  ): V & { faults?: FaultRecord[] } {
    this.reported = true;
    if (this.records.length === 0) return v;
    const said = [...new Set(this.records.map((r) => r.id))].map((id) => this.said(id)).join('; ');
    const own = v.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN' && CERTIFICATE_ALERTS.includes(v.alertReceived ?? '');
    const outcome = own ? v.outcome : 'HUBTLS_FAULT_INJECTED';
    return {
      ...v,
      outcome,
      reason: `${said}: ${this.records[0]!.explanation}; then ${v.reason}`,
      faults: [...this.records],
    };
  }
}
