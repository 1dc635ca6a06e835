/**
 * When CBS tokens run out by the scenario clock. The clock may run faster or slower than real time
 * and may jump (a timeline `clock` step, the admin API), and the after-TLS layer sees only `now()`:
 * so the check runs at the real-time distance to the next expiry (at most 30 s, then again), and at
 * once whenever the clock is set (the `clock` notice on the bus). One bus subscription serves every
 * connection of a hub.
 */
import type { EventBus } from '../../events/bus.js';

const RECHECK_MS = 30_000;
const watchers = new WeakMap<EventBus, Set<() => void>>();

/** Calls `fn` after every move of the scenario clock; returns the unsubscribe function. */
export function onClockSet(bus: EventBus, fn: () => void): () => void {
  let set = watchers.get(bus);
  if (!set) {
    const fresh = new Set<() => void>();
    bus.subscribe((e) => {
      if (e.type === 'notice' && e.what === 'clock') for (const f of [...fresh]) f();
    });
    watchers.set(bus, (set = fresh));
  }
  set.add(fn);
  return () => set.delete(fn);
}

export class ExpiryTimer {
  private timer?: NodeJS.Timeout;
  private readonly off: () => void;

  constructor(
    bus: EventBus,
    private readonly now: () => Date,
    private readonly check: () => void,
  ) {
    this.off = onClockSet(bus, () => this.check());
  }

  /** Arms the next check for the earliest expiry (none: no timer). */
  arm(next: Date | undefined): void {
    clearTimeout(this.timer);
    if (!next) return;
    const ms = Math.max(0, Math.min(next.getTime() - this.now().getTime(), RECHECK_MS));
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.off();
  }
}
