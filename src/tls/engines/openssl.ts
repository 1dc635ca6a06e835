/**
 * The default engine: Node's tls (OpenSSL) on the already-peeked socket. The ClientHello bytes
 * were pushed back into the socket, so OpenSSL reads the handshake from its first byte.
 */
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { opensslFailure, OPENSSL_PEER_CLOSED } from './openssl-failure.js';
import {
  HandshakeError,
  emitTlsSignal,
  type Engine,
  type Established,
  type HandshakePlan,
  type PeerCertInfo,
} from './types.js';
import type { KeyType } from '../policy/types.js';
import { peerCertInfo } from './peer-cert.js';
import { servedLeafName } from './served-leaf.js';

function peerCert(t: tls.TLSSocket): PeerCertInfo | undefined {
  const c = t.getPeerX509Certificate();
  if (!c) return undefined;
  const chain: Buffer[] = [];
  for (
    let d: tls.DetailedPeerCertificate | undefined = t.getPeerCertificate(true);
    d?.raw && !chain.some((b) => b.equals(d!.raw));
    d = d.issuerCertificate
  )
    chain.push(d.raw);
  return peerCertInfo(c, chain);
}

/**
 * The context holds one certificate type whenever the policy chose the chain (see connection.ts),
 * so that choice is the answer; only with pre-check off (both types loaded) is our own certificate
 * parsed back, which costs a quarter of a millisecond per handshake.
 */
function servedKeyType(t: tls.TLSSocket, plan: HandshakePlan): KeyType {
  if (plan.decision.chain) return plan.decision.keyType;
  const cert = t.getCertificate() as (tls.PeerCertificate & { asn1Curve?: string; nistCurve?: string }) | null;
  return cert && (cert.asn1Curve || cert.nistCurve) ? 'ec' : 'rsa';
}

function established(t: tls.TLSSocket, plan: HandshakePlan): Established {
  const keyType = servedKeyType(t, plan);
  return {
    stream: t,
    version: t.getProtocol() ?? 'unknown',
    suite: t.getCipher()?.standardName ?? 'unknown',
    keyType,
    servedLeaf: servedLeafName(plan.material[keyType]),
    alpn: t.alpnProtocol ?? undefined,
    peerCert: peerCert(t),
    tlsSocket: t,
  };
}

/**
 * A TLSSocket made without a tls.Server never releases control, so Node reports TLS errors after
 * the handshake only as its internal '_tlsError' event, never as 'error', and leaves the
 * connection open (an 18,000-byte record held it for the handshake timeout). Here they end it.
 * Renegotiation: the context's SSL_OP_NO_RENEGOTIATION makes OpenSSL answer a client's new
 * ClientHello with a no_renegotiation warning (as the mini engine does); disableRenegotiation()
 * makes Node say so per connection (ERR_TLS_RENEGOTIATION_DISABLED), which is reported, not fatal.
 * Node's CLIENT_RENEG_LIMIT still counts the attempts: the 4th within 10 minutes is
 * ERR_TLS_SESSION_ATTACK, fatal like any other error.
 */
function watchEstablished(t: tls.TLSSocket, mflLimit: number | undefined): void {
  t.disableRenegotiation();
  t.on('_tlsError', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_TLS_RENEGOTIATION_DISABLED') return emitTlsSignal(t, { kind: 'renegotiation-refused' });
    if (t.destroyed) return; // destroy(err) passes the same error through here again
    emitTlsSignal(t, { kind: 'fatal', failure: opensslFailure(err, mflLimit) });
    t.destroy(err);
  });
}

export const opensslEngine: Engine = {
  name: 'openssl',
  handshake(socket: Socket | Duplex, plan: HandshakePlan): Promise<Established> {
    return new Promise((resolve, reject) => {
      const t = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext: plan.secureContext(),
        requestCert: plan.clientCert !== 'none',
        rejectUnauthorized: plan.clientCert === 'require',
      });
      const mflLimit = plan.decision.mfl?.requested; // OpenSSL always honours a requested MFL
      const fail = (err: unknown) => reject(new HandshakeError(opensslFailure(err, mflLimit)));
      // Both listeners go once the handshake is done: building an Error (and its stack) on every
      // later close cost measurable CPU per connection for a promise long settled.
      const closed = () => reject(new HandshakeError(OPENSSL_PEER_CLOSED));
      t.once('error', fail);
      t.once('close', closed);
      t.once('secure', () => {
        t.off('error', fail).off('close', closed);
        watchEstablished(t, mflLimit);
        resolve(established(t, plan));
      });
    });
  },
};
