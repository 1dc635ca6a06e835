import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { Accepted, EngineName, KeyType } from '../policy/types.js';
import type { EffectiveProfile } from '../../profiles/effective.js';
import type { ClientCertMode } from '../contexts.js';
import type { EndpointMaterial } from '../../pki/types.js';
import type { RecordFaults } from '../record-faults/faults.js';
import type { EngineFailure } from '../../events/failures.js';

/** Everything an engine needs to run one accepted handshake. */
export interface HandshakePlan {
  decision: Accepted;
  profile: EffectiveProfile;
  material: EndpointMaterial;
  clientCert: ClientCertMode;
  /** OpenSSL context for this plan (built lazily, cached by the caller). */
  secureContext: () => tls.SecureContext;
  recordVersion: number;
  /** Record-level faults for this connection (mini engine only). */
  recordFaults?: RecordFaults;
}

export interface PeerCertInfo {
  subject: string;
  commonName?: string;
  issuer: string;
  sha1: string;
  sha256: string;
  notBefore: string;
  notAfter: string;
  /** DER of the leaf and the chain the client sent (leaf first). */
  chainDer: Buffer[];
}

/** A finished handshake: the decrypted stream and what was negotiated. */
export interface Established {
  stream: Duplex;
  version: string;
  suite: string;
  keyType: KeyType;
  alpn?: string | false;
  peerCert?: PeerCertInfo;
  /** Common name of the leaf we served (from the loaded chain, not re-read from the socket). */
  servedLeaf?: string;
  /** The underlying TLS socket when the engine is OpenSSL (for getPeerCertificate & co). */
  tlsSocket?: tls.TLSSocket;
  /** The SNI the client sent, when it is known without a TLS socket (a session relayed from a worker). */
  servername?: string;
}

/**
 * What an engine reports on `Established.stream` after the handshake, as a TLS_SIGNAL event: a
 * renegotiation it refused (the connection goes on), or a fatal TLS error (the engine has destroyed
 * the stream). After-TLS modes see neither; the driver (serve/connection.ts) reports them.
 */
export type TlsSignal = { kind: 'renegotiation-refused' } | { kind: 'fatal'; failure: EngineFailure };
export const TLS_SIGNAL = 'hubtls:tls-signal';

export function emitTlsSignal(stream: Duplex, signal: TlsSignal): void {
  stream.emit(TLS_SIGNAL, signal);
}

/** A handshake that did not finish, as a typed failure (src/events/failures.ts turns it into an outcome). */
export class HandshakeError extends Error {
  constructor(readonly failure: EngineFailure) {
    super(failure.message);
    this.name = 'HandshakeError';
  }
}

export interface Engine {
  name: EngineName;
  /** `socket` is the TCP socket, or a stream standing in for it when a fault rewrites the bytes (src/faults/wire.ts). */
  handshake(socket: Socket | Duplex, plan: HandshakePlan): Promise<Established>;
}
