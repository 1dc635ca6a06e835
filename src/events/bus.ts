import { EventEmitter } from 'node:events';
import type { HubEvent } from './types.js';

/**
 * Every component reports through the bus; sinks (pino, ring buffer, SSE, metrics) subscribe.
 * A throwing sink is isolated so it can never break a connection.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  publish(event: HubEvent): void {
    for (const listener of this.emitter.listeners('event') as Array<(e: HubEvent) => void>) {
      try {
        listener(event);
      } catch {
        // A sink's failure is its own; the connection that produced the event goes on.
      }
    }
  }

  subscribe(listener: (e: HubEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
