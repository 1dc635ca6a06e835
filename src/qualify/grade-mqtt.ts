/**
 * Graders for the MQTT cases: pure functions from a Recording to a grade. Times are the hub's
 * (ms since the device command started); a connection attempt starts at its handshake verdict less
 * the handshake's duration, so the device's own waiting time is measured, not the hub's work.
 */
import { mqttConnects, ms, noConnection, startOf, type Hs } from './recording.js';
import type { Graded, Recording } from './types.js';
import { BACKOFF_FIX, judgeWaits } from './backoff.js';

export { backoffSettled, judgeWaits } from './backoff.js';

/** Attempts after the first drop and the device's wait before each (from the drop, then from the previous failure). */
export function waitsAfterDrop(rec: Recording): { drop?: number; attempts: Hs[]; waits: number[] } {
  const drop = rec.drops[0];
  if (drop === undefined) return { attempts: [], waits: [] };
  const attempts = rec.handshakes.filter((h) => startOf(h) >= drop);
  const waits = attempts.map((h, i) => startOf(h) - (i === 0 ? drop : attempts[i - 1]!.t));
  return { drop, attempts, waits: waits.map((w) => Math.max(0, Math.round(w))) };
}

export function gradeBackoff(rec: Recording): Graded {
  const { drop, waits } = waitsAfterDrop(rec);
  if (rec.handshakes.length === 0) return noConnection();
  if (drop === undefined)
    return {
      grade: 'fail',
      evidence: ['the device never completed an MQTT CONNECT'],
      fix: 'connect with the credentials in HUBTLS_DEVICE_CONNECTION_STRING',
    };
  if (waits.length === 0)
    return { grade: 'fail', evidence: [`dropped at ${ms(drop)}; the device never reconnected`], fix: BACKOFF_FIX };
  return judgeWaits(waits);
}

/** After a good session ends, the first reconnect waits at least 1 s. */
export function gradeReconnectWait(rec: Recording): Graded {
  const { drop, waits } = waitsAfterDrop(rec);
  if (rec.handshakes.length === 0) return noConnection();
  if (drop === undefined) return { grade: 'fail', evidence: ['the device never completed an MQTT CONNECT'] };
  if (waits.length === 0)
    return { grade: 'fail', evidence: [`dropped at ${ms(drop)}; no reconnect`], fix: BACKOFF_FIX };
  const w = waits[0]!;
  const evidence = [`dropped at ${ms(drop)}, reconnected ${ms(w)} later`];
  return w >= 1000
    ? { grade: 'pass', evidence }
    : {
        grade: 'fail',
        evidence,
        fix: 'wait at least 1 s (plus jitter) before the first reconnect, so a hub restart is not met by the whole fleet at once',
      };
}

/** The hub's record of an acknowledgement it withheld (src/after/mqtt/withhold.ts). */
function withheldAck(rec: Recording, kind: string): { t: number; messageId?: number } | undefined {
  const e = rec.sessions.find((s) => (s.detail as { withheld?: string } | undefined)?.withheld === kind);
  return e && { t: e.t, messageId: (e.detail as { messageId?: number }).messageId };
}

interface PubDetail {
  messageId?: number;
  dup?: boolean;
  qos?: number;
}
const pubOf = (d: unknown) => (d ?? {}) as PubDetail;

/** Republishes an unacknowledged QoS 1 message with the same packet id and DUP set. */
export function gradePubackRetry(rec: Recording): Graded {
  const pubs = rec.sessions.filter((s) => s.action === 'telemetry');
  const first = pubs.find((s) => pubOf(s.detail).qos === 1);
  if (!first)
    return pubs.length
      ? { grade: 'na', evidence: [`${pubs.length} telemetry message(s), none at QoS 1`] }
      : { grade: 'fail', evidence: ['the device sent no telemetry'], fix: 'send a telemetry message at QoS 1' };
  const withheld = withheldAck(rec, 'puback');
  if (!withheld) return { grade: 'na', evidence: ['the hub withheld no PUBACK (nothing to retransmit)'] };
  const id = withheld.messageId;
  const held = pubs.find((s) => pubOf(s.detail).messageId === id && s.t <= withheld.t) ?? first;
  const head = `PUBLISH packet id ${id} at ${ms(held.t)}: PUBACK withheld`;
  const drop = rec.drops.length ? [`connection dropped at ${ms(rec.drops[0]!)}`] : [];
  const later = pubs.filter((s) => s.t > withheld.t && pubOf(s.detail).qos === 1);
  const same = later.find((s) => pubOf(s.detail).messageId === id);
  if (same && pubOf(same.detail).dup)
    return { grade: 'pass', evidence: [head, ...drop, `republished with packet id ${id} and DUP at ${ms(same.t)}`] };
  const fix =
    'keep unacknowledged QoS 1 PUBLISHes and resend them with the same packet id and DUP=1 on reconnect (MQTT 3.1.1 §4.4)';
  if (same)
    return {
      grade: 'fail',
      evidence: [head, ...drop, `republished with packet id ${id} at ${ms(same.t)} but without DUP`],
      fix,
    };
  const other = later[0];
  if (other)
    return {
      grade: 'fail',
      evidence: [
        head,
        ...drop,
        `next QoS 1 PUBLISH at ${ms(other.t)} has packet id ${pubOf(other.detail).messageId}, DUP ${pubOf(other.detail).dup ? 1 : 0}: not a retransmission`,
      ],
      fix,
    };
  return { grade: 'fail', evidence: [head, ...drop, 'the message was never sent again'], fix };
}

/** Resends SUBSCRIBE when its SUBACK does not come (on the connection or after reconnecting). */
export function gradeSubackRetry(rec: Recording): Graded {
  const subs = rec.sessions.filter((s) => s.action === 'subscribe');
  const first = subs[0];
  if (!first)
    return {
      grade: 'fail',
      evidence: ['the device subscribed to nothing'],
      fix: 'subscribe to devices/{id}/messages/devicebound/#',
    };
  if (!withheldAck(rec, 'suback')) return { grade: 'na', evidence: ['the hub withheld no SUBACK'] };
  const filter = (first.detail as { filter?: string } | undefined)?.filter;
  const again = subs.find((s) => s.t > first.t && (s.detail as { filter?: string } | undefined)?.filter === filter);
  const head = `SUBSCRIBE ${filter} at ${ms(first.t)}: SUBACK withheld`;
  const drop = rec.drops.length ? [`connection dropped at ${ms(rec.drops[0]!)}`] : [];
  if (again)
    return { grade: 'pass', evidence: [head, ...drop, `subscribed again at ${ms(again.t)} (conn ${again.conn})`] };
  return {
    grade: 'fail',
    evidence: [head, ...drop, 'never subscribed again'],
    fix: 'treat a SUBSCRIBE without SUBACK as failed: resend it after a timeout and on every reconnect',
  };
}

/** Notices a missing PINGRESP: closes and reconnects within 1.5 × its keep-alive of the PINGREQ. */
export function gradePingresp(rec: Recording): Graded {
  const connect = rec.sessions.find((s) => s.action === 'connect' && s.ok);
  const keepalive = Number((connect?.detail as { keepalive?: number } | undefined)?.keepalive ?? 0);
  if (!connect) return { grade: 'fail', evidence: ['the device never completed an MQTT CONNECT'] };
  if (!keepalive) return { grade: 'na', evidence: ['the device asked for no keep-alive (0)'] };
  const ping = rec.sessions.find(
    (s) => s.action === 'request' && (s.detail as { withheld?: string })?.withheld === 'pingresp',
  );
  if (!ping)
    return {
      grade: 'fail',
      evidence: [`keep-alive ${keepalive} s, but no PINGREQ came`],
      fix: 'send PINGREQ when idle for the keep-alive',
    };
  const limit = keepalive * 1500;
  const gone = rec.sessions.find((s) => s.action === 'disconnect' && s.conn === ping.conn);
  const next = rec.handshakes.find((h) => startOf(h) > ping.t);
  const head = `keep-alive ${keepalive} s; PINGREQ at ${ms(ping.t)}, PINGRESP withheld`;
  const fix = `close and reconnect when no PINGRESP comes within the keep-alive (limit: ${ms(limit)} after the PINGREQ)`;
  if (gone && /keep-alive expired/.test(gone.reason))
    return {
      grade: 'fail',
      evidence: [head, `the hub closed the silent connection at ${ms(gone.t)}; the device never noticed`],
      fix,
    };
  if (!next)
    return {
      grade: 'fail',
      evidence: [head, gone ? `closed at ${ms(gone.t)}, no reconnect` : 'the device kept the connection'],
      fix,
    };
  const after = startOf(next) - ping.t;
  const evidence = [head, `reconnected ${ms(after)} after the PINGREQ (conn ${next.conn})`];
  return after <= limit ? { grade: 'pass', evidence } : { grade: 'fail', evidence, fix };
}

/** After CONNACK 5 (not authorized) the device does not hammer the hub. */
export function gradeNoHammer(rec: Recording): Graded {
  const refused = rec.sessions.filter((s) => s.action === 'connect' && !s.ok && s.status === 5);
  if (rec.handshakes.length === 0) return noConnection();
  if (refused.length === 0) return { grade: 'fail', evidence: ['no MQTT CONNECT reached the hub'] };
  const gaps = refused.slice(1).map((s, i) => Math.round(s.t - refused[i]!.t));
  const evidence = [
    `${refused.length} CONNECT(s) refused with CONNACK 5${gaps.length ? `, ${gaps.map(ms).join(', ')} apart` : ''}`,
  ];
  if (refused.length <= 2) return { grade: 'pass', evidence };
  const fix =
    'stop (or back off to minutes) after CONNACK 5: a wrong or expired credential does not fix itself; renew the SAS token or certificate first';
  if (gaps.some((g) => g < 1000) && refused.length >= 4) return { grade: 'fail', evidence, fix };
  return judgeWaits(gaps).grade === 'pass' ? { grade: 'pass', evidence } : { grade: 'warn', evidence, fix };
}

interface ConnectDetail {
  sasExpiry?: string;
  sasValidMs?: number;
}
const cd = (d: unknown) => (d ?? {}) as ConnectDetail;

/**
 * Renews its SAS token before expiry: a new CONNECT with a later token before the hub closes the
 * connection at the old token's expiry passes; recovering after the close warns; reusing the
 * expired token (CONNACK 5) or not coming back fails. A token that outlives the case: na.
 */
export function gradeSasRenewal(rec: Recording): Graded {
  const auth = (mqttConnects(rec)[0]?.detail as { auth?: string } | undefined)?.auth;
  if (auth?.startsWith('x509'))
    return { grade: 'na', evidence: [`the device authenticates with X.509 (${auth}): no token to renew`] };
  const ok = mqttConnects(rec).filter((s) => cd(s.detail).sasValidMs !== undefined);
  const first = ok[0];
  if (!first) return { grade: 'fail', evidence: ['the device never completed an MQTT CONNECT with a SAS token'] };
  const { sasExpiry, sasValidMs } = cd(first.detail);
  const expiresAt = first.t + sasValidMs!;
  const head = `token of conn ${first.conn} valid until ${sasExpiry} (${Math.round(sasValidMs! / 1000)} s after CONNECT)`;
  const renewed = ok.find((s) => s.t > first.t && cd(s.detail).sasExpiry! > sasExpiry!);
  if (renewed && renewed.t <= expiresAt)
    return {
      grade: 'pass',
      evidence: [
        head,
        `reconnected with a new token (until ${cd(renewed.detail).sasExpiry}) ${ms(expiresAt - renewed.t)} before expiry`,
      ],
    };
  const closed = rec.sessions.find(
    (s) => s.action === 'disconnect' && s.conn === first.conn && /SAS token expired/.test(s.reason),
  );
  if (!closed)
    return {
      grade: 'na',
      evidence: [
        head,
        'the token outlived the case: give the device a token lifetime under the case time limit (e.g. 20 s) to judge renewal',
      ],
    };
  const fix =
    'renew the SAS token before it expires (the Azure SDKs reconnect with a new token at 80% of its lifetime)';
  const evidence = [head, `the hub closed the connection at expiry (${ms(closed.t)})`];
  if (renewed)
    return {
      grade: 'warn',
      evidence: [...evidence, `reconnected with a new token ${ms(renewed.t - closed.t)} later`],
      fix,
    };
  const refused = rec.sessions.filter((s) => s.action === 'connect' && !s.ok && s.t > closed.t);
  if (refused.length)
    return {
      grade: 'fail',
      evidence: [...evidence, `${refused.length} CONNECT(s) refused afterwards: ${refused[0]!.reason}`],
      fix,
    };
  return { grade: 'fail', evidence: [...evidence, 'the device did not come back'], fix };
}

/** Backs off while throttled (CONNACK 3): no constant loop; staying away for the whole case passes. */
export function gradeThrottle(rec: Recording): Graded {
  const { drop, waits } = waitsAfterDrop(rec);
  if (drop === undefined) return { grade: 'fail', evidence: ['the device never completed an MQTT CONNECT'] };
  const refused = rec.sessions.filter((s) => s.action === 'connect' && !s.ok && s.status === 3).length;
  const head = `throttled from ${ms(drop)} (CONNACK 3 for the window), ${refused} CONNECT(s) refused`;
  if (waits.length === 0) return { grade: 'pass', evidence: [head, 'the device stayed away for the rest of the case'] };
  const judged = judgeWaits(waits);
  return { ...judged, evidence: [head, ...judged.evidence] };
}

/**
 * A second instance with the device's identity connects; the hub closes the device's connection
 * (IoT Hub closes the older of two). The device comes back (pass after at least 1 s; at once
 * warns: two instances that reconnect at once close each other in a loop).
 */
export function gradeSecondConnection(rec: Recording): Graded {
  const [first] = mqttConnects(rec);
  const at = rec.drops[0];
  if (!first || at === undefined) return { grade: 'fail', evidence: ['the device never completed an MQTT CONNECT'] };
  const closed = rec.sessions.find(
    (s) => s.action === 'disconnect' && s.conn === first.conn && /connected again/.test(s.reason),
  );
  const later = mqttConnects(rec).filter((s) => s.t > at && s.conn !== first.conn);
  const twin = later[0];
  const back = later.find((s) => s !== twin && s.conn !== twin?.conn);
  const head = `a second connection with the device's identity at ${ms(at)}${closed ? `; the hub closed the device's conn ${first.conn} at ${ms(closed.t)}` : ''}`;
  if (!closed)
    return { grade: 'fail', evidence: [head, "the device's connection was not closed (it had already gone?)"] };
  if (!back)
    return {
      grade: 'fail',
      evidence: [head, 'the device did not reconnect'],
      fix: 'reconnect when the hub closes the connection',
    };
  const wait = back.t - closed.t;
  const evidence = [head, `the device reconnected ${ms(wait)} later (conn ${back.conn})`];
  return wait >= 1000
    ? { grade: 'pass', evidence }
    : {
        grade: 'warn',
        evidence,
        fix: 'wait (1 s or more, with jitter) before reconnecting: two instances with one identity that reconnect at once close each other in a loop',
      };
}
