/**
 * The words and fields of a connection's handshake event, from what the policy decided and what
 * the engine reported. Pure functions: the connection flow calls them, tests call them directly.
 */
import { explain } from '../tls/policy/explain.js';
import { alertName } from '../tls/alerts.js';
import { recordOverflowHint } from '../tls/records/explain.js';
import { insecureAcceptance } from '../tls/records/verdict.js';
import type { RecordFaults } from '../tls/records/faults.js';
import { HandshakeError, type Established } from '../tls/engines/types.js';
import type { Accepted, Decision } from '../tls/policy/types.js';
import type { EndpointMaterial } from '../tls/contexts.js';
import type { HandshakeEvent, HelloView } from '../events/types.js';
import type { ClientHelloSummary } from '../tls/clienthello.js';

/** A handshake event before the driver adds who and when (conn, listener, peer, duration). */
export type Verdict = Omit<HandshakeEvent, 'type' | 'conn' | 'listener' | 'peer' | 'durationMs'>;

/** OpenSSL reasons that mean "this ClientHello is not well-formed" rather than a policy refusal. */
const MALFORMED_BY_OPENSSL = /bad extension|length mismatch|no compression specified|wrong version number|invalid|decode error|bad packet|record length|parse tlsext/i;

/** Pre-check off: the predicted refusal becomes a note and OpenSSL alone decides. */
export function opensslAlone(d: Exclude<Decision, Accepted>): Accepted {
  const notes = [...d.notes, `pre-check off; the policy predicted: ${explain(d)}`];
  return { ...d, notes, code: 'HUBTLS_ACCEPTED', version: 'TLSv1.2', suite: '(openssl decides)', keyType: 'rsa', chain: '', engine: 'openssl' };
}

export function acceptedVerdict(d: Accepted, est: Established, material: EndpointMaterial, recordFaults?: RecordFaults): Verdict {
  const chain = material[est.keyType];
  const predicted = est.suite === d.suite && est.keyType === d.keyType;
  d.notes.push(...insecureAcceptance(recordFaults, chain?.chainId));
  const instead = predicted ? '' : ` (engine negotiated ${est.version} ${est.suite} with the ${est.keyType.toUpperCase()} chain instead)`;
  return {
    outcome: 'HUBTLS_ACCEPTED',
    reason: explain(d) + instead,
    negotiated: { version: est.version, suite: est.suite, alpn: est.alpn },
    chain: chain && { id: chain.chainId, keyType: chain.keyType, leafSha256: chain.leafSha256, root: chain.rootName },
    clientCert: est.peerCert && {
      subject: est.peerCert.subject.replace(/\n/g, ', '),
      sha1: est.peerCert.sha1,
      sha256: est.peerCert.sha256,
      notAfter: est.peerCert.notAfter,
    },
  };
}

/** Why an accepted handshake did not finish: what the client said, or what the engine objected to. */
export function failedVerdict(e: unknown, d: Accepted, material: EndpointMaterial, recordFaults?: RecordFaults): Verdict {
  const info = e instanceof HandshakeError ? e.info : {};
  const message = (e as Error).message;
  const chain = material[d.keyType];
  if (info.received !== undefined && info.received !== 0) {
    const rejected = [42, 43, 44, 45, 46, 48, 49, 51].includes(info.received);
    const alert = `${alertName(info.received)}(${info.received})`;
    return {
      outcome: rejected ? 'HUBTLS_CLIENT_REJECTED_CHAIN' : 'HUBTLS_HANDSHAKE_FAILED',
      alertReceived: alertName(info.received),
      reason: rejected
        ? `client rejected our chain ${chain?.chainId ?? d.chain} (root ${chain?.rootName ?? '?'}) with alert ${alert}`
        : `client aborted the handshake with alert ${alert}` + recordOverflowHint(info.received, d, recordFaults),
    };
  }
  if (info.closed) return { outcome: 'HUBTLS_CLIENT_CLOSED', reason: 'client closed the connection during the handshake without an alert' };
  if (MALFORMED_BY_OPENSSL.test(message)) return { outcome: 'HUBTLS_MALFORMED_HELLO', reason: `OpenSSL rejected the ClientHello as malformed: ${message}` };
  return { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: `TLS engine refused the handshake: ${message}` };
}

/** The ClientHello as events and reports show it. */
export function helloView(h: ClientHelloSummary): HelloView {
  const { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes } = h;
  return { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes };
}
