/**
 * The hub's listeners as one set: bound together at start, grown and shrunk by a reload, closed or
 * drained together at the end. Owns the array; nothing else changes it.
 */
import type { ListenerSpec } from '../scenario/compile.js';
import { HubListener, type ListenerDeps } from './listener.js';
import type { EventBus } from '../events/bus.js';

const key = (l: { host: string; port: number }) => `${l.host}:${l.port}`;

export class ListenerSet {
  private listeners: HubListener[] = [];

  constructor(private readonly deps: ListenerDeps) {}

  /** Current listeners (a reload may have added or removed some). */
  all(): readonly HubListener[] {
    return this.listeners;
  }

  /** Binds one listener per spec; on failure closes those already bound here and throws. */
  async bind(specs: readonly ListenerSpec[]): Promise<HubListener[]> {
    const bound: HubListener[] = [];
    try {
      for (const spec of specs) {
        const l = new HubListener(spec, this.deps);
        await l.listen();
        bound.push(l);
      }
      return bound;
    } catch (e) {
      await Promise.allSettled(bound.map((l) => l.close(true)));
      throw e;
    }
  }

  /** Binds and adds the listeners of a starting hub. */
  async start(specs: readonly ListenerSpec[]): Promise<void> {
    this.listeners.push(...(await this.bind(specs)));
  }

  /** Specs whose host:port no listener serves yet. */
  missing(specs: readonly ListenerSpec[]): ListenerSpec[] {
    const have = new Set(this.listeners.map((l) => key(l.spec)));
    return specs.filter((s) => !have.has(key(s)));
  }

  /**
   * A reload's listeners: kept ones take their new spec, `added` (bound already) join, the rest stop
   * accepting (their open connections end on their own). Returns the names of those that stopped.
   */
  swap(specs: readonly ListenerSpec[], added: HubListener[]): string[] {
    const wanted = new Map(specs.map((s) => [key(s), s]));
    const gone = this.listeners.filter((l) => !wanted.has(key(l.spec)));
    for (const l of this.listeners) l.spec = wanted.get(key(l.spec)) ?? l.spec;
    this.listeners = [...this.listeners.filter((l) => !gone.includes(l)), ...added];
    const names = gone.map((l) => l.name); // before closing: a closed server no longer knows its port
    for (const l of gone) void l.close(true);
    return names;
  }

  /** Port of the listener serving `endpoint` (the first listener when omitted). */
  port(endpoint?: string): number {
    return (endpoint ? this.serving(endpoint) : this.listeners[0])!.port;
  }

  /** The bound address of the listener serving an endpoint (the scenario may say port 0). */
  listenOf(endpoint: string): { host: string; port: number } | undefined {
    const l = this.serving(endpoint);
    return l && { host: l.spec.host, port: l.port };
  }

  /** Connections accepted so far over every listener (each ends in exactly one handshake event). */
  accepted(): number {
    return this.listeners.reduce((n, l) => n + l.accepted, 0);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.listeners.map((l) => l.close()));
  }

  async shutdown(drainMs: number): Promise<{ inFlight: number; ended: number }> {
    const done = await Promise.all(this.listeners.map((l) => l.shutdown(drainMs)));
    return { inFlight: done.reduce((n, d) => n + d.inFlight, 0), ended: done.reduce((n, d) => n + d.ended, 0) };
  }

  private serving(endpoint: string): HubListener | undefined {
    return this.listeners.find((l) => l.spec.endpoints.includes(endpoint));
  }
}

/** The hub's last event: what a graceful shutdown drained and closed (in one process or over every worker). */
export function publishStopped(bus: EventBus, startedMs: number, r: { inFlight: number; ended: number }): void {
  const msg = `stopped: ${r.inFlight} handshake(s) in flight drained, ${r.ended} connection(s) closed in ${Date.now() - startedMs} ms`;
  bus.publish({ type: 'notice', level: 'info', what: 'stopped', msg, inFlight: r.inFlight, closed: r.ended });
}
