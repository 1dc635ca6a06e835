/** Waiting on any hub event (notices of timeline steps, reloads, faults), not only handshakes. */
import type { HubEvent, NoticeEvent } from '../../src/events/types.js';
import type { TestHub } from './hub.js';

export function nextEvent<E extends HubEvent>(
  th: TestHub,
  pred: (e: HubEvent) => e is E,
  timeoutMs = 10000,
  from = 0,
): Promise<E> {
  const seen = th.events.slice(from).find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error('no matching event'))), timeoutMs);
    const off = th.hub.bus.subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** The notice with `what` (and `step`, for timeline steps) — already published or the next one. */
export function nextNotice(
  th: TestHub,
  what: string,
  match: Record<string, unknown> = {},
  timeoutMs = 10000,
): Promise<NoticeEvent> {
  const pred = (e: HubEvent): e is NoticeEvent =>
    e.type === 'notice' && e.what === what && Object.entries(match).every(([k, v]) => e[k] === v);
  return nextEvent(th, pred, timeoutMs);
}

/** Index marking "from now on" for counting events. */
export const mark = (th: TestHub) => th.events.length;
