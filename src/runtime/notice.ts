/** Every runtime part announces what it changed the same way: one `notice` event on the bus. */
import type { EventBus } from '../events/bus.js';

export function notice(bus: EventBus, what: string, msg: string, fields: Record<string, unknown> = {}): void {
  bus.publish({ type: 'notice', level: 'info', what, msg, ...fields });
}
