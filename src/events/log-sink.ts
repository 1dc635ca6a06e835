import { pino } from 'pino';
import type { Logger } from './logger.js';
import type { EventBus } from './bus.js';
import type { HubEvent } from './types.js';

const LEVEL = { info: 30, warn: 40, error: 50 } as const;
const { streamSym, chindingsSym } = pino.symbols;

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

/**
 * The line pino writes for `log[lvl](fields, msg)` with hubtls's logger options (ISO time, base
 * bindings), written straight to pino's stream: one native JSON.stringify of the event instead of
 * pino's key-by-key serialisation. Used for the per-connection events (handshake, verdict), which
 * are plain data; test/unit/log-sink.test.ts checks it says what pino says.
 */
function directLine(log: Logger, lvl: keyof typeof LEVEL, fields: object, msg: string): string {
  const chindings = (log as unknown as Record<symbol, string>)[chindingsSym];
  const body = JSON.stringify(fields).slice(1, -1);
  return `{"level":${LEVEL[lvl]},"time":"${new Date().toISOString()}"${chindings},${body},"msg":${JSON.stringify(msg)}}\n`;
}

/** Writes every bus event as one pino line; `event` carries the type, the rest is the event. */
export function attachLogSink(bus: EventBus, log: Logger): () => void {
  const stream = (log as unknown as Record<symbol, { write(line: string): void }>)[streamSym];
  return bus.subscribe((e) => {
    if (toldByVerdict(e)) return;
    // `level` and `msg` are pino's own keys: never let an event's fields shadow them.
    const { type, level: _level, msg: _msg, ...fields } = e as HubEvent & { level?: unknown; msg?: unknown };
    const lvl = level(e);
    if ((type === 'handshake' || type === 'verdict') && stream) {
      if (log.isLevelEnabled(lvl)) stream.write(directLine(log, lvl, { event: type, ...fields }, message(e)));
      return;
    }
    log[lvl]({ event: type, ...fields }, message(e));
  });
}
