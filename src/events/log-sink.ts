import type { Logger } from './logger.js';
import type { EventBus } from './bus.js';
import type { HubEvent } from './types.js';

function message(e: HubEvent): string {
  if (e.type === 'handshake') return `${e.outcome} ${e.peer} → ${e.endpoint ?? e.listener}: ${e.reason}`;
  if (e.type === 'session')
    return `${e.outcome ?? (e.ok ? 'ok' : 'refused')} ${e.protocol} ${e.action} ${e.deviceId ?? e.registrationId ?? e.peer} → ${e.endpoint}: ${e.reason}`;
  if (e.type === 'verdict')
    return `${e.outcome} (handshake ${e.handshakeOutcome}) conn ${e.conn} → ${e.endpoint ?? '?'}: ${e.reason}`;
  if (e.type === 'ready') return `ready: ${e.listeners.map((l) => `${l.address}:${l.port}`).join(', ')}`;
  return e.msg;
}

function level(e: HubEvent): 'info' | 'warn' | 'error' {
  if (e.type === 'notice') return e.level;
  if (e.type === 'handshake' && e.outcome === 'HUBTLS_HANDSHAKE_FAILED') return 'warn';
  if (e.type === 'session' && !e.ok) return 'warn';
  if (e.type === 'verdict' && e.outcome !== 'HUBTLS_ACCEPTED') return 'warn';
  return 'info';
}

/**
 * An inferred chain rejection (src/after/silent-close.ts) is published twice, as the session's own
 * event and as the connection's `verdict`; the log says it once, in the verdict line, which carries
 * the same reason. The session event still reaches every other sink (ring, SSE, tests).
 */
function toldByVerdict(e: HubEvent): boolean {
  return e.type === 'session' && e.detail?.inferred === true && e.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN';
}

/** Writes every bus event as one pino line; `event` carries the type, the rest is the event. */
export function attachLogSink(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    if (toldByVerdict(e)) return;
    // `level` and `msg` are pino's own keys: never let an event's fields shadow them.
    const { type, level: _level, msg: _msg, ...fields } = e as HubEvent & { level?: unknown; msg?: unknown };
    log[level(e)]({ event: type, ...fields }, message(e));
  });
}
