/**
 * The words and fields of a connection's handshake event, from what the policy decided and what
 * the engine reported. Pure functions: the connection flow calls them, tests call them directly.
 */
import { explain } from '../tls/policy/explain.js';
import { alertName } from '../tls/wire/constants.js';
import { recordOverflowHint } from '../tls/record-faults/explain.js';
import { mflClosedHint } from '../tls/engines/mfl.js';
import { insecureAcceptance } from '../tls/record-faults/verdict.js';
import type { RecordFaults } from '../tls/record-faults/faults.js';
import { HandshakeError, type Established } from '../tls/engines/types.js';
import type { Accepted, Decision } from '../tls/policy/types.js';
import type { ChainMaterial, EndpointMaterial } from '../pki/types.js';
import type { HandshakeEvent, HelloView } from '../events/types.js';
import { failureOutcome, type EngineFailure } from '../events/failures.js';
import type { ClientHelloSummary } from '../tls/clienthello.js';

/** A handshake event before the driver adds who and when (conn, listener, peer, duration). */
export type Verdict = Omit<HandshakeEvent, 'type' | 'conn' | 'listener' | 'peer' | 'durationMs'>;

/** Pre-check off: the predicted refusal becomes a note and OpenSSL alone decides. */
export function opensslAlone(d: Exclude<Decision, Accepted>): Accepted {
  const notes = [...d.notes, `pre-check off; the policy predicted: ${explain(d)}`];
  return {
    ...d,
    notes,
    code: 'HUBTLS_ACCEPTED',
    version: 'TLSv1.2',
    suite: '(openssl decides)',
    keyType: 'rsa',
    chain: '',
    engine: 'openssl',
  };
}

export function acceptedVerdict(
  d: Accepted,
  est: Established,
  material: EndpointMaterial,
  recordFaults?: RecordFaults,
): Verdict {
  const chain = material[est.keyType];
  const predicted = est.suite === d.suite && est.keyType === d.keyType;
  d.notes.push(...insecureAcceptance(recordFaults, chain?.chainId));
  const instead = predicted
    ? ''
    : ` (engine negotiated ${est.version} ${est.suite} with the ${est.keyType.toUpperCase()} chain instead)`;
  return {
    outcome: 'HUBTLS_ACCEPTED',
    reason: explain(d) + instead,
    negotiated: { version: est.version, suite: est.suite, alpn: est.alpn },
    chain: chain && servedChain(chain),
    clientCert: est.peerCert && {
      subject: est.peerCert.subject.replace(/\n/g, ', '),
      sha1: est.peerCert.sha1,
      sha256: est.peerCert.sha256,
      notAfter: est.peerCert.notAfter,
    },
  };
}

/** Why an accepted handshake did not finish: what the client said, or what the engine objected to. */
export function failedVerdict(
  e: unknown,
  d: Accepted,
  material: EndpointMaterial,
  recordFaults?: RecordFaults,
  engine = 'openssl',
): Verdict {
  const internal: EngineFailure = { kind: 'internal', message: (e as Error).message };
  const f = e instanceof HandshakeError ? e.failure : internal;
  const chain = material[d.keyType];
  const closedAfterMfl = f.kind === 'peer-closed' && d.mfl?.mode === 'honour';
  const hint = closedAfterMfl ? mflClosedHint(d.mfl!.requested) : recordOverflowHint(f.alertReceived, d, recordFaults);
  const root = chain?.rootName ?? '?';
  // No `chain` field: it describes a completed handshake; a chain the client refused is named in the reason.
  return failureOutcome(f, { engine, chainId: chain?.chainId ?? d.chain, root, hint, alertName });
}

/** The chain field of a handshake event: which chain this connection was served. */
const servedChain = (c: ChainMaterial) => ({
  id: c.chainId,
  keyType: c.keyType,
  leafSha256: c.leafSha256,
  root: c.rootName,
});

/** The ClientHello as events and reports show it. */
export function helloView(h: ClientHelloSummary): HelloView {
  const { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes } = h;
  return { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes };
}
