import type { EventBus } from './bus.js';
import type { HubEvent, VerdictEvent } from './types.js';
import type { RecentHandshake } from './handshake.js';

export type { RecentHandshake } from './handshake.js';

export interface RecentQuery {
  limit?: number;
  outcome?: string;
  endpoint?: string;
  /** Only events with seq greater than this (a client polling for what is new). */
  after?: number;
}

/**
 * The last N handshake events, newest last, each amended by its connection's later `verdict` event
 * if one comes. Bounded so a load test cannot grow it; the full record is the pino stream.
 */
export class HandshakeRing {
  private readonly items: RecentHandshake[] = [];
  private seq = 0;
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    readonly capacity = 500,
  ) {
    this.unsubscribe = bus.subscribe((e) => this.onEvent(e));
  }

  private onEvent(e: HubEvent): void {
    if (e.type === 'verdict') return this.amend(e);
    if (e.type !== 'handshake') return;
    this.items.push({ ...e, seq: ++this.seq, at: new Date().toISOString() });
    if (this.items.length > this.capacity) this.items.shift();
  }

  /**
   * A later verdict on a connection replaces its outcome and reason (filters by outcome see the
   * final verdict); what the handshake said is kept beside them. Its seq stays: it is the same
   * connection. A handshake already pushed out of the ring is left alone.
   */
  private amend(v: VerdictEvent): void {
    let i = this.items.length - 1;
    while (i >= 0 && this.items[i]!.conn !== v.conn) i--;
    const h = this.items[i];
    if (!h) return;
    this.items[i] = {
      ...h,
      outcome: v.outcome,
      reason: v.reason,
      handshakeOutcome: h.handshakeOutcome ?? h.outcome,
      handshakeReason: h.handshakeReason ?? h.reason,
    };
  }

  /** Matching events, newest first. */
  list(q: RecentQuery = {}): RecentHandshake[] {
    const out: RecentHandshake[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < (q.limit ?? 100); i--) {
      const e = this.items[i]!;
      if (q.after !== undefined && e.seq <= q.after) break;
      if ((q.outcome && e.outcome !== q.outcome) || (q.endpoint && e.endpoint !== q.endpoint)) continue;
      out.push(e);
    }
    return out;
  }

  get total(): number {
    return this.seq;
  }

  close(): void {
    this.unsubscribe();
  }
}
