import type { EventBus } from './bus.js';
import type { HubEvent } from './types.js';
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
 * The last N handshake events, newest last. Bounded so a load test cannot grow it; the full record
 * is the pino stream.
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
    if (e.type !== 'handshake') return;
    this.items.push({ ...e, seq: ++this.seq, at: new Date().toISOString() });
    if (this.items.length > this.capacity) this.items.shift();
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
