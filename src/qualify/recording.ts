/** Pure helpers over a Recording: final verdicts, attempt times, MQTT actions per connection. */
import type { HandshakeEvent } from '../events/types.js';
import type { At, Recording } from './types.js';

export type Hs = At<HandshakeEvent>;

/** The connection's final outcome: a later verdict event (a silent close after the handshake) wins. */
export function finalOutcome(rec: Recording, h: Hs): { outcome: string; inferred: boolean; reason: string } {
  const v = rec.verdicts.find((x) => x.conn === h.conn);
  return v
    ? { outcome: v.outcome, inferred: v.inferred, reason: v.reason }
    : { outcome: h.outcome, inferred: false, reason: h.reason };
}

export const accepted = (rec: Recording, h: Hs) => finalOutcome(rec, h).outcome === 'HUBTLS_ACCEPTED';

/** When the device opened the connection (ms): the verdict's time less the handshake's duration. */
export const startOf = (h: Hs) => Math.max(0, Math.round(h.t - h.durationMs));

export const ms = (n: number) => `${Math.round(n)} ms`;

export function mqttConnects(rec: Recording, ok = true) {
  return rec.sessions.filter((s) => s.protocol === 'mqtt' && s.action === 'connect' && s.ok === ok);
}

/**
 * A connection is settled when its verdict is final: refused, amended, spoke MQTT, closed (a silent
 * close is amended as it closes), or 2.5 s passed (the hub infers a silent rejection within 2 s).
 */
export function settled(rec: Recording, h: Hs, now: number): boolean {
  if (h.outcome !== 'HUBTLS_ACCEPTED') return true;
  if (rec.verdicts.some((v) => v.conn === h.conn)) return true;
  return rec.sessions.some((s) => s.conn === h.conn) || rec.open === 0 || now - h.t > 2500;
}

/** One line per handshake: "conn 3 at 120 ms: HUBTLS_ACCEPTED (alert …)". */
export function describe(rec: Recording, h: Hs): string {
  const f = finalOutcome(rec, h);
  const alert = h.alertReceived ? `, alert ${h.alertReceived} from the device` : '';
  const how = f.inferred ? ' (inferred: closed without a byte after the handshake)' : '';
  return `conn ${h.conn} at ${ms(startOf(h))}: ${f.outcome}${alert}${how}: ${f.reason}`;
}

export function noConnection(limitWords = 'within its time limit'): { grade: 'fail'; evidence: string[]; fix: string } {
  return {
    grade: 'fail',
    evidence: [`the device made no TLS connection ${limitWords}`],
    fix: 'check that the device dials HUBTLS_HOST:HUBTLS_PORT (SNI HUBTLS_HOSTNAME) and starts on its own',
  };
}
