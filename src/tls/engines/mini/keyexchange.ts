/**
 * Key exchange and signatures for the mini engine: ephemeral ECDH (X25519, P-256, P-384), RSA
 * key transport, ServerKeyExchange signatures (TLS 1.2 signature algorithms; MD5‖SHA-1 or SHA-1
 * before 1.2) and the client's CertificateVerify.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { TlsAlertError } from './failure.js';
import { ALERT } from '../../wire/constants.js';
import { WireReader, u8, u16, vec } from '../../wire/reader.js';

/** IANA group id → Node curve name; the OpenSSL names profiles use → IANA id. */
const CURVES: Record<number, string> = { 29: 'x25519', 23: 'prime256v1', 24: 'secp384r1' };
export const GROUP_IDS: Record<string, number> = { X25519: 29, 'P-256': 23, 'P-384': 24 };

export class EphemeralKey {
  private constructor(
    readonly group: number,
    readonly publicBytes: Buffer,
    private readonly derive: (peer: Buffer) => Buffer,
  ) {}

  static create(group: number): EphemeralKey {
    const curve = CURVES[group];
    if (!curve) throw new TlsAlertError(`group ${group} is not supported`, 'refused', { send: ALERT.handshakeFailure });
    if (curve === 'x25519') return EphemeralKey.x25519();
    const ecdh = crypto.createECDH(curve);
    ecdh.generateKeys();
    return new EphemeralKey(group, ecdh.getPublicKey(), (peer) => ecdh.computeSecret(peer));
  }

  private static x25519(): EphemeralKey {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('x25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    return new EphemeralKey(29, raw, (peer) => {
      const peerKey = crypto.createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') },
        format: 'jwk',
      });
      return crypto.diffieHellman({ privateKey, publicKey: peerKey });
    });
  }

  /** ServerECDHParams: named_curve, the group, our point. */
  params(): Buffer {
    return Buffer.concat([u8(3), u16(this.group), vec(1, this.publicBytes)]);
  }

  /** The premaster secret from the client's ClientKeyExchange body. */
  shared(clientKeyExchange: Buffer): Buffer {
    const point = new WireReader(clientKeyExchange).vec(1);
    try {
      return this.derive(point);
    } catch (e) {
      throw new TlsAlertError(`bad ECDH public key from the client: ${(e as Error).message}`, 'malformed', {
        send: ALERT.illegalParameter,
      });
    }
  }
}

/**
 * RSA key transport. Node 20 refuses PKCS#1 v1.5 decryption (its Marvin-attack guard), so the
 * block is decrypted raw and unpadded here; as RFC 5246 §7.4.7.1 asks, any defect yields a random
 * premaster secret so the failure shows only at Finished. A test tool: timing is not a concern.
 */
export function rsaPremaster(key: KeyObject, clientKeyExchange: Buffer, clientVersion: number): Buffer {
  const fallback = Buffer.concat([u16(clientVersion), crypto.randomBytes(46)]);
  try {
    const enc = new WireReader(clientKeyExchange).vec(2);
    const block = crypto.privateDecrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, enc);
    const sep = block.indexOf(0, 2);
    const ok = block[0] === 0 && block[1] === 2 && sep >= 10 && block.length - sep - 1 === 48;
    const pms = block.subarray(sep + 1);
    return ok && pms.readUInt16BE(0) === clientVersion ? Buffer.from(pms) : fallback;
  } catch {
    return fallback;
  }
}

type KeyKind = 'rsa' | 'ec';
interface SigAlg {
  hash: string;
  kind: KeyKind;
  pss?: boolean;
}

export const SIGALGS: Record<number, SigAlg> = {
  0x0804: { hash: 'sha256', kind: 'rsa', pss: true },
  0x0805: { hash: 'sha384', kind: 'rsa', pss: true },
  0x0806: { hash: 'sha512', kind: 'rsa', pss: true },
  0x0401: { hash: 'sha256', kind: 'rsa' },
  0x0501: { hash: 'sha384', kind: 'rsa' },
  0x0601: { hash: 'sha512', kind: 'rsa' },
  0x0201: { hash: 'sha1', kind: 'rsa' },
  0x0403: { hash: 'sha256', kind: 'ec' },
  0x0503: { hash: 'sha384', kind: 'ec' },
  0x0603: { hash: 'sha512', kind: 'ec' },
  0x0203: { hash: 'sha1', kind: 'ec' },
};

/** What we advertise in CertificateRequest. */
export const OFFERED_SIGALGS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201];

/** TLS 1.2: the client's first listed algorithm that fits our key; no list means SHA-1 (RFC 5246 §7.4.1.4.1). */
export function pickSigalg(kind: KeyKind, clientSigalgs: number[]): number {
  const list = clientSigalgs.length ? clientSigalgs : [kind === 'rsa' ? 0x0201 : 0x0203];
  const pick = list.find((a) => SIGALGS[a]?.kind === kind);
  if (pick === undefined)
    throw new TlsAlertError(`no signature algorithm for a ${kind.toUpperCase()} key in the client's list`, 'refused', {
      send: ALERT.handshakeFailure,
    });
  return pick;
}

function pssOptions(key: KeyObject) {
  return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST };
}

/** A signature in the ServerKeyExchange / CertificateVerify encoding of `version`. */
export function signFor(version: number, key: KeyObject, kind: KeyKind, data: Buffer, clientSigalgs: number[]): Buffer {
  if (version >= 0x0303) {
    const alg = pickSigalg(kind, clientSigalgs);
    const a = SIGALGS[alg]!;
    const sig = crypto.sign(a.hash, data, a.pss ? pssOptions(key) : key);
    return Buffer.concat([u16(alg), vec(2, sig)]);
  }
  if (kind === 'ec') return vec(2, crypto.sign('sha1', data, key));
  const md5sha1 = Buffer.concat([
    crypto.createHash('md5').update(data).digest(),
    crypto.createHash('sha1').update(data).digest(),
  ]);
  return vec(2, crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, md5sha1));
}

/** Verifies the client's CertificateVerify over the handshake messages so far. */
export function verifyClient(
  version: number,
  key: KeyObject,
  data: Buffer,
  sigalg: number | undefined,
  signature: Buffer,
): boolean {
  const kind: KeyKind = key.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
  try {
    if (version >= 0x0303) {
      const a = sigalg === undefined ? undefined : SIGALGS[sigalg];
      return !!a && a.kind === kind && crypto.verify(a.hash, data, a.pss ? pssOptions(key) : key, signature);
    }
    if (kind === 'ec') return crypto.verify('sha1', data, key, signature);
    const md5sha1 = Buffer.concat([
      crypto.createHash('md5').update(data).digest(),
      crypto.createHash('sha1').update(data).digest(),
    ]);
    return crypto.publicDecrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, signature).equals(md5sha1);
  } catch {
    return false;
  }
}
