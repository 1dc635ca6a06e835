/**
 * The default engine: Node's tls (OpenSSL) on the already-peeked socket. The ClientHello bytes
 * were pushed back into the socket, so OpenSSL reads the handshake from its first byte.
 */
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { opensslFailure, OPENSSL_PEER_CLOSED } from './openssl-failure.js';
import { HandshakeError, type Engine, type Established, type HandshakePlan, type PeerCertInfo } from './types.js';
import type { KeyType } from '../policy/types.js';
import { peerCertInfo } from './peer-cert.js';

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
  return {
    stream: t,
    version: t.getProtocol() ?? 'unknown',
    suite: t.getCipher()?.standardName ?? 'unknown',
    keyType: servedKeyType(t, plan),
    alpn: t.alpnProtocol ?? undefined,
    peerCert: peerCert(t),
    tlsSocket: t,
  };
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
      const fail = (err: unknown) => reject(new HandshakeError(opensslFailure(err)));
      // Both listeners go once the handshake is done: building an Error (and its stack) on every
      // later close cost measurable CPU per connection for a promise long settled.
      const closed = () => reject(new HandshakeError(OPENSSL_PEER_CLOSED));
      t.once('error', fail);
      t.once('close', closed);
      t.once('secure', () => {
        t.off('error', fail).off('close', closed);
        resolve(established(t, plan));
      });
    });
  },
};
