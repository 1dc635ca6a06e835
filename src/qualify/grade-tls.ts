/**
 * Graders for the TLS cases: pure functions from a Recording to a grade with evidence. They read
 * the hub's handshake events (outcome, alert from the device, ClientHello, chain served) and the
 * verdict events that amend them (a device that hung up silently after the handshake).
 */
import { SUITES_2025 } from '../profiles/recommended.js';
import { suiteByName } from '../profiles/suites.js';
import { accepted, describe, finalOutcome, mqttConnects, noConnection, type Hs } from './recording.js';
import type { Graded, Recording } from './types.js';

const TRUST_FIX =
  'trust DigiCert Global Root G2 and Microsoft RSA Root CA 2017 (HUBTLS_CA; Baltimore too during a migration: HUBTLS_CA_LEGACY)';

/** Why a handshake the device refused or the hub refused failed, as a device change. */
function fixFor(outcome: string): string {
  if (outcome === 'HUBTLS_REFUSED_CIPHER') return `offer at least one of Azure's eight suites (${SUITES_2025[0]}, …)`;
  if (outcome === 'HUBTLS_REFUSED_VERSION') return 'offer TLS 1.2';
  if (outcome === 'HUBTLS_REFUSED_SNI') return 'send the hub name as SNI (server_name)';
  return TRUST_FIX;
}

/** Connects to today's hub: at least one handshake ends ACCEPTED (and stays so). */
export function gradeConnect(rec: Recording): Graded {
  if (rec.handshakes.length === 0) return noConnection();
  const ok = rec.handshakes.find((h) => accepted(rec, h));
  if (!ok) {
    const first = rec.handshakes[0]!;
    return {
      grade: 'fail',
      evidence: rec.handshakes.map((h) => describe(rec, h)),
      fix: fixFor(finalOutcome(rec, first).outcome),
    };
  }
  const mqtt = mqttConnects(rec).find((s) => s.conn === ok.conn);
  const evidence = [
    `conn ${ok.conn}: ${ok.negotiated?.version} ${ok.negotiated?.suite}, chain ${ok.chain?.id} (root ${ok.chain?.root})`,
    ...(mqtt ? [`MQTT CONNECT accepted at ${Math.round(mqtt.t)} ms`] : []),
  ];
  return { grade: 'pass', evidence };
}

const IGNORED = /^TLS_(EMPTY_RENEGOTIATION_INFO_SCSV|FALLBACK_SCSV)$|^TLS_(AES|CHACHA20)_/;

/** Offers only suites Azure accepts: none of the eight fails, extras warn (TLS 1.3 suites and SCSVs do not count). */
export function gradeSuites(rec: Recording): Graded {
  const hello = rec.handshakes.find((h) => h.hello)?.hello;
  if (!hello) return noConnection();
  const tls12 = hello.suites.filter((s) => !IGNORED.test(s));
  const azure = tls12.filter((s) => (SUITES_2025 as readonly string[]).includes(s));
  const extra = tls12.filter((s) => !azure.includes(s));
  const offered = `offered ${tls12.length} TLS 1.2 suites, ${azure.length} of Azure's eight`;
  if (azure.length === 0)
    return {
      grade: 'fail',
      evidence: [offered, `first offered: ${tls12.slice(0, 4).join(', ')}`],
      fix: `enable ECDHE-RSA or ECDHE-ECDSA with AES-GCM (${SUITES_2025.slice(0, 2).join(', ')}); since 2025-08-31 IoT Hub accepts no other`,
    };
  if (extra.length === 0) return { grade: 'pass', evidence: [offered, `e.g. ${azure[0]}`] };
  const shown = extra.slice(0, 6).join(', ') + (extra.length > 6 ? `, … (${extra.length - 6} more)` : '');
  return {
    grade: 'warn',
    evidence: [offered, `${extra.length} Azure never accepts: ${shown}`],
    fix: 'drop the suites Azure refuses from the device TLS configuration (smaller ClientHello, no accidental weak suite elsewhere)',
  };
}

/**
 * Refuses a defective server certificate: a fatal alert from the device passes, a close without an
 * alert warns (the hub's log cannot say why), finishing the handshake (and speaking MQTT) fails.
 */
export function gradeRefuses(defect: string, check: string) {
  return (rec: Recording): Graded => {
    if (rec.handshakes.length === 0) return noConnection();
    const evidence = rec.handshakes.map((h) => describe(rec, h));
    const trusted = rec.handshakes.filter((h) => accepted(rec, h));
    if (trusted.length > 0) {
      const mqtt = mqttConnects(rec, true).length + mqttConnects(rec, false).length > 0;
      const spoke = mqtt ? ' and sent MQTT CONNECT over it' : '';
      return {
        grade: 'fail',
        evidence: [`the device completed the handshake with ${defect}${spoke}`, ...evidence],
        fix: `verify the server certificate: ${check}`,
      };
    }
    const alerted = rec.handshakes.find((h) => h.alertReceived);
    if (alerted) return { grade: 'pass', evidence: [`refused with alert ${alerted.alertReceived}`, ...evidence] };
    return {
      grade: 'warn',
      evidence: ['the device closed the connection without a TLS alert', ...evidence],
      fix: 'send a fatal alert (bad_certificate, certificate_expired, unknown_ca) before closing, so the cause shows in logs on both sides',
    };
  };
}

/**
 * Survives a change of the served chain after its first connection (migration, rotation): the
 * first handshake and a later one (after the drop) both complete.
 */
export function gradeChainChange(change: string, fix: string) {
  return (rec: Recording): Graded => {
    const [first, ...later] = rec.handshakes;
    if (!first) return noConnection();
    if (!accepted(rec, first))
      return { grade: 'fail', evidence: [`before the ${change}: ${describe(rec, first)}`], fix };
    if (later.length === 0)
      return {
        grade: 'fail',
        evidence: [`conn ${first.conn} accepted; the hub then dropped it (${change}); the device never reconnected`],
        fix: 'reconnect after the hub closes the connection',
      };
    const ok = later.find((h) => accepted(rec, h));
    const before = `before: chain ${first.chain?.id} (leaf ${first.chain?.leafSha256.slice(0, 12)}…)`;
    if (ok)
      return {
        grade: 'pass',
        evidence: [
          before,
          `after the ${change}: conn ${ok.conn} accepted on chain ${ok.chain?.id} (leaf ${ok.chain?.leafSha256.slice(0, 12)}…)`,
        ],
      };
    return { grade: 'fail', evidence: [before, ...later.map((h) => `after the ${change}: ${describe(rec, h)}`)], fix };
  };
}

/** Completes the handshake with a large served chain. */
export function gradeLargeChain(rec: Recording): Graded {
  if (rec.handshakes.length === 0) return noConnection();
  const ok = rec.handshakes.find((h) => accepted(rec, h));
  if (ok) return { grade: 'pass', evidence: [`conn ${ok.conn} completed with chain ${ok.chain?.id}`] };
  return {
    grade: 'fail',
    evidence: rec.handshakes.map((h) => describe(rec, h)),
    fix: 'give the TLS stack a receive buffer for the whole server flight (16 KB records; mbedTLS MBEDTLS_SSL_IN_CONTENT_LEN 16384)',
  };
}

const offersRsa = (h: Hs) =>
  (h.hello?.suites ?? []).some((s) => {
    const info = suiteByName(s);
    return info !== undefined && info.auth === 'RSA';
  });

/** Takes the ECC chain when it offers ECDSA suites only; not applicable to a device that offers RSA. */
export function gradeEccOnly(rec: Recording): Graded {
  const first = rec.handshakes.find((h) => h.hello);
  if (!first) return noConnection();
  if (offersRsa(first))
    return {
      grade: 'na',
      evidence: ['the device offers RSA suites, so Azure serves it the RSA chain (tls-connect covers it)'],
    };
  const ok = rec.handshakes.find((h) => accepted(rec, h));
  if (ok)
    return {
      grade: 'pass',
      evidence: [`conn ${ok.conn}: ${ok.negotiated?.suite}, chain ${ok.chain?.id} (root ${ok.chain?.root})`],
    };
  return {
    grade: 'fail',
    evidence: rec.handshakes.map((h) => describe(rec, h)),
    fix: 'trust DigiCert Global Root G3 and Microsoft ECC Root CA 2017 (in HUBTLS_CA)',
  };
}

/** TLS 1.3 preview: needs SNI; not applicable to a device that does not offer TLS 1.3. */
export function gradeTls13(rec: Recording): Graded {
  const first = rec.handshakes.find((h) => h.hello);
  if (!first) return noConnection();
  if (!first.hello!.versions.includes('TLSv1.3'))
    return { grade: 'na', evidence: ['the device does not offer TLS 1.3 (IoT Hub serves TLS 1.2 to it)'] };
  const ok = rec.handshakes.find((h) => accepted(rec, h));
  if (ok && ok.negotiated?.version === 'TLSv1.3')
    return { grade: 'pass', evidence: [`conn ${ok.conn}: TLSv1.3 ${ok.negotiated.suite}, SNI ${ok.hello?.sni}`] };
  return {
    grade: 'fail',
    evidence: rec.handshakes.map((h) => describe(rec, h)),
    fix: fixFor(finalOutcome(rec, first).outcome),
  };
}

/**
 * Receives full 16 KB records: a cloud-to-device message of several records is acknowledged
 * (PUBACK) on the connection that received it. na when the device takes no C2D messages.
 */
export function gradeFullRecords(rec: Recording): Graded {
  const sent = rec.sessions.find((s) => s.action === 'c2d');
  const mfl = rec.handshakes.find((h) => h.hello?.maxFragmentLength)?.hello?.maxFragmentLength;
  const asked = mfl
    ? `the device asked for max_fragment_length ${mfl}, which IoT Hub ignores`
    : 'no max_fragment_length asked';
  if (!sent) {
    const subscribed = rec.sessions.some((s) => s.action === 'subscribe' && /devicebound/.test(s.reason));
    return subscribed
      ? { grade: 'fail', evidence: [asked, 'the message was never delivered'] }
      : { grade: 'na', evidence: [asked, 'the device did not subscribe to cloud-to-device messages'] };
  }
  const bytes = `${(sent.detail as { messageId?: string } | undefined)?.messageId ?? ''}`;
  const head = `${sent.reason} at ${Math.round(sent.t)} ms (in 16 KB TLS records); ${asked}`;
  const done = rec.sessions.find((s) => s.action === 'c2d-complete' && s.conn === sent.conn);
  if (done) return { grade: 'pass', evidence: [head, `acknowledged (PUBACK) at ${Math.round(done.t)} ms`] };
  const gone = rec.sessions.find((s) => s.action === 'disconnect' && s.conn === sent.conn);
  return {
    grade: 'fail',
    evidence: [
      head,
      gone ? `the connection ended at ${Math.round(gone.t)} ms: ${gone.reason}` : `message ${bytes} never acknowledged`,
    ],
    fix: 'give the TLS stack a 16 KB receive buffer (mbedTLS MBEDTLS_SSL_IN_CONTENT_LEN 16384): IoT Hub ignores max_fragment_length and sends full records',
  };
}
