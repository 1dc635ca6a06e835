/** The first frame of a relayed session: who it is and what was negotiated, as JSON. */
import type { Established, PeerCertInfo } from '../../tls/engines/types.js';
import type { SessionStart } from '../connection.js';

export interface RelayHello {
  conn: number;
  peer: string;
  endpoint: string;
  version: string;
  suite: string;
  keyType: Established['keyType'];
  alpn?: string | false;
  servedLeaf?: string;
  servername?: string;
  /** The client's certificate chain as base64 DER (leaf first). */
  peerCert?: Omit<PeerCertInfo, 'chainDer'> & { chainDer: string[] };
  /** TCP bytes the worker had read when the handshake finished. */
  bytesRead: number;
  handshakeOutcome: SessionStart['handshakeOutcome'];
}

export function helloOf(s: SessionStart): RelayHello {
  const e = s.established;
  const servername = e.tlsSocket?.servername;
  return {
    conn: s.conn,
    peer: s.peer,
    endpoint: s.endpoint,
    version: e.version,
    suite: e.suite,
    keyType: e.keyType,
    alpn: e.alpn,
    servedLeaf: e.servedLeaf,
    servername: typeof servername === 'string' ? servername : undefined,
    peerCert: e.peerCert && { ...e.peerCert, chainDer: e.peerCert.chainDer.map((d) => d.toString('base64')) },
    bytesRead: s.socket.bytesRead,
    handshakeOutcome: s.handshakeOutcome,
  };
}

/** The negotiated facts of a relayed hello, for the primary's Established (the stream is the relay's). */
export function establishedOf(h: RelayHello): Omit<Established, 'stream'> {
  return {
    version: h.version,
    suite: h.suite,
    keyType: h.keyType,
    alpn: h.alpn,
    servedLeaf: h.servedLeaf,
    servername: h.servername,
    peerCert: h.peerCert && { ...h.peerCert, chainDer: h.peerCert.chainDer.map((d) => Buffer.from(d, 'base64')) },
  };
}
