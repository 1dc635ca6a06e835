/** Publishing `session` events from after-TLS modes: who, on which endpoint, what happened. */
import type { SessionEvent } from '../events/types.js';
import type { SessionContext } from './types.js';

export type SessionFields = Omit<SessionEvent, 'type' | 'conn' | 'endpoint' | 'peer' | 'protocol'>;

/** Bodies in events are cut here; the registry keeps them whole. */
export const EVENT_BODY_LIMIT = 1024;

export function publishSession(ctx: SessionContext, protocol: SessionEvent['protocol'], fields: SessionFields): void {
  ctx.bus.publish({
    type: 'session',
    conn: ctx.conn,
    endpoint: ctx.endpoint.name,
    peer: ctx.peer,
    protocol,
    ...fields,
  });
}

export function clip(text: string): string {
  return text.length > EVENT_BODY_LIMIT ? `${text.slice(0, EVENT_BODY_LIMIT)}…` : text;
}
