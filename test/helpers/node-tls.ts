/**
 * A device written with Node's tls: trusts the CA file it is given, checks the host name, and can
 * pin the leaf's or the intermediate's public key the way devices that pin do.
 */
import tls from 'node:tls';
import crypto from 'node:crypto';

export interface NodeClientOptions {
  ca?: string;
  servername?: string;
  /** false: accept any chain (an insecure device). */
  verify?: boolean;
  /** SHA-256 (hex) of the SubjectPublicKeyInfo the device pins, and which certificate it pins. */
  pin?: { level: 'leaf' | 'intermediate'; sha256: string };
  ciphers?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** Give up (destroy) after this long without a finished handshake. */
  timeoutMs?: number;
  /** Keep the connection open and return the socket (caller closes it). */
  keepOpen?: boolean;
}

export interface NodeClientResult {
  ok: boolean;
  code?: string;
  message?: string;
  protocol?: string;
  cipher?: string;
  /** SPKI SHA-256 of the served leaf and first intermediate, when the handshake got that far. */
  leafSpki?: string;
  intermediateSpki?: string;
  socket?: tls.TLSSocket;
  ms: number;
}

export function spki256(pubkeyDer: Buffer): string {
  return crypto.createHash('sha256').update(pubkeyDer).digest('hex');
}

function pinCheck(o: NodeClientOptions): tls.ConnectionOptions['checkServerIdentity'] {
  return (host, cert) => {
    const hostError = tls.checkServerIdentity(host, cert);
    if (hostError || !o.pin) return hostError;
    const target = o.pin.level === 'leaf' ? cert : (cert as tls.DetailedPeerCertificate).issuerCertificate;
    const got = target?.pubkey ? spki256(target.pubkey) : 'none';
    return got === o.pin.sha256
      ? undefined
      : Object.assign(new Error(`${o.pin.level} public key pin mismatch (got ${got.slice(0, 16)}…)`), {
          code: 'PIN_MISMATCH',
        });
  };
}

export function nodeConnect(port: number, o: NodeClientOptions = {}): Promise<NodeClientResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let leafSpki: string | undefined;
    let intermediateSpki: string | undefined;
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      servername: o.servername ?? 'myhub.azure-devices.net',
      ca: o.ca,
      rejectUnauthorized: o.verify ?? true,
      ciphers: o.ciphers,
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
      checkServerIdentity: (host, cert) => {
        leafSpki = cert.pubkey && spki256(cert.pubkey);
        const issuer = (cert as tls.DetailedPeerCertificate).issuerCertificate;
        intermediateSpki = issuer?.pubkey && spki256(issuer.pubkey);
        return pinCheck(o)!(host, cert);
      },
    });
    const timer = o.timeoutMs
      ? setTimeout(
          () => s.destroy(Object.assign(new Error('handshake timeout (client side)'), { code: 'CLIENT_TIMEOUT' })),
          o.timeoutMs,
        )
      : undefined;
    const done = (r: Omit<NodeClientResult, 'ms' | 'leafSpki' | 'intermediateSpki'>) => {
      clearTimeout(timer);
      resolve({ ...r, leafSpki, intermediateSpki, ms: Date.now() - started });
    };
    s.once('secureConnect', () => {
      const r = { ok: true, protocol: s.getProtocol() ?? undefined, cipher: s.getCipher()?.standardName };
      if (o.keepOpen) return done({ ...r, socket: s });
      s.end();
      done(r);
    });
    s.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, code: e.code, message: e.message }));
    s.once('close', () => done({ ok: false, code: 'CLOSED', message: 'closed before the handshake finished' }));
  });
}
