/**
 * The TLS pseudo-random function and what is derived from it: master secret (plain and RFC 7627
 * extended), key block, Finished verify_data. TLS 1.2 uses P_SHA256 or P_SHA384; TLS 1.0/1.1 XOR
 * P_MD5 over the first half of the secret with P_SHA1 over the second (RFC 2246 §5).
 */
import { createHash, createHmac } from 'node:crypto';

export type PrfKind = 'tls10' | 'sha256' | 'sha384';

function pHash(hash: string, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let a = seed;
  let total = 0;
  while (total < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function prf10(secret: Buffer, seed: Buffer, length: number): Buffer {
  const half = Math.ceil(secret.length / 2);
  const md5 = pHash('md5', secret.subarray(0, half), seed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), seed, length);
  for (let i = 0; i < length; i++) md5[i]! ^= sha1[i]!;
  return md5;
}

export function prf(kind: PrfKind, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const fullSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  return kind === 'tls10' ? prf10(secret, fullSeed, length) : pHash(kind, secret, fullSeed, length);
}

/** The handshake hash Finished and EMS use: MD5‖SHA-1 before TLS 1.2, the PRF hash in 1.2. */
export function transcriptHash(kind: PrfKind, messages: Buffer): Buffer {
  if (kind !== 'tls10') return createHash(kind).update(messages).digest();
  return Buffer.concat([createHash('md5').update(messages).digest(), createHash('sha1').update(messages).digest()]);
}

export function masterSecret(kind: PrfKind, preMaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  return prf(kind, preMaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

export function extendedMasterSecret(kind: PrfKind, preMaster: Buffer, sessionHash: Buffer): Buffer {
  return prf(kind, preMaster, 'extended master secret', sessionHash, 48);
}

export function keyBlock(
  kind: PrfKind,
  master: Buffer,
  clientRandom: Buffer,
  serverRandom: Buffer,
  length: number,
): Buffer {
  return prf(kind, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length);
}

export function finishedData(kind: PrfKind, master: Buffer, sender: 'client' | 'server', messages: Buffer): Buffer {
  return prf(kind, master, `${sender} finished`, transcriptHash(kind, messages), 12);
}
