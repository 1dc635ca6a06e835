/**
 * Record protection for one direction: CBC with HMAC (MAC-then-encrypt; TLS 1.0 chains the IV
 * across records, 1.1+ sends an explicit IV) and AES-GCM (4-byte salt + 8-byte explicit nonce).
 * NullProtection is the state before ChangeCipherSpec. This is a test tool's engine: padding and
 * MAC checks are not constant-time, and nothing here needs to resist timing side channels.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CipherParams } from './params.js';

export class BadRecordMac extends Error {
  constructor(why: string) {
    super(`bad_record_mac: ${why}`);
    this.name = 'BadRecordMac';
  }
}

export interface Protection {
  /** Ciphertext overhead bound, so a writer can keep the record under its limit. */
  readonly overhead: number;
  seal(type: number, plaintext: Buffer): Buffer;
  open(type: number, fragment: Buffer): Buffer;
}

export const NullProtection: Protection = { overhead: 0, seal: (_t, p) => p, open: (_t, f) => f };

export interface DirectionKeys {
  key: Buffer;
  macKey: Buffer;
  /** TLS 1.0 CBC: the initial IV; GCM: the 4-byte salt; else empty. */
  iv: Buffer;
}

function header(seq: bigint, type: number, version: number, length: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeBigUInt64BE(seq, 0);
  h.writeUInt8(type, 8);
  h.writeUInt16BE(version, 9);
  h.writeUInt16BE(length, 11);
  return h;
}

export class CbcProtection implements Protection {
  private seq = 0n;
  private iv: Buffer;
  readonly overhead: number;

  constructor(
    private readonly p: CipherParams,
    private readonly version: number,
    private readonly keys: DirectionKeys,
  ) {
    this.iv = keys.iv;
    this.overhead = p.macLen + 2 * p.blockOrSalt;
  }

  private mac(type: number, data: Buffer, seq: bigint): Buffer {
    return createHmac(this.p.mac, this.keys.macKey)
      .update(header(seq, type, this.version, data.length))
      .update(data)
      .digest();
  }

  seal(type: number, plaintext: Buffer): Buffer {
    const block = this.p.blockOrSalt;
    const body = Buffer.concat([plaintext, this.mac(type, plaintext, this.seq++)]);
    const pad = (block - ((body.length + 1) % block)) % block;
    const padded = Buffer.concat([body, Buffer.alloc(pad + 1, pad)]);
    const explicit = this.version > 0x0301;
    const iv = explicit ? randomBytes(block) : this.iv;
    const c = createCipheriv(this.p.cipher, this.keys.key, iv).setAutoPadding(false);
    const ct = Buffer.concat([c.update(padded), c.final()]);
    if (!explicit) this.iv = ct.subarray(ct.length - block);
    return explicit ? Buffer.concat([iv, ct]) : ct;
  }

  open(type: number, fragment: Buffer): Buffer {
    const block = this.p.blockOrSalt;
    const explicit = this.version > 0x0301;
    const iv = explicit ? fragment.subarray(0, block) : this.iv;
    const ct = explicit ? fragment.subarray(block) : fragment;
    if (ct.length === 0 || ct.length % block !== 0)
      throw new BadRecordMac('ciphertext is not a whole number of blocks');
    const d = createDecipheriv(this.p.cipher, this.keys.key, iv).setAutoPadding(false);
    const plain = Buffer.concat([d.update(ct), d.final()]);
    if (!explicit) this.iv = Buffer.from(ct.subarray(ct.length - block));
    return this.unpad(type, plain);
  }

  private unpad(type: number, plain: Buffer): Buffer {
    const pad = plain[plain.length - 1]!;
    const end = plain.length - pad - 1 - this.p.macLen;
    if (end < 0 || !plain.subarray(plain.length - pad - 1).every((b) => b === pad))
      throw new BadRecordMac('bad CBC padding');
    const data = plain.subarray(0, end);
    const got = plain.subarray(end, end + this.p.macLen);
    if (!timingSafeEqual(got, this.mac(type, data, this.seq++))) throw new BadRecordMac('MAC mismatch');
    return data;
  }
}

export class GcmProtection implements Protection {
  private seq = 0n;
  readonly overhead = 24;

  constructor(
    private readonly p: CipherParams,
    private readonly version: number,
    private readonly keys: DirectionKeys,
  ) {}

  seal(type: number, plaintext: Buffer): Buffer {
    const explicit = Buffer.alloc(8);
    explicit.writeBigUInt64BE(this.seq); // OpenSSL's choice too: the sequence number is a unique nonce
    const c = createCipheriv(this.p.cipher as 'aes-128-gcm', this.keys.key, Buffer.concat([this.keys.iv, explicit]));
    c.setAAD(header(this.seq++, type, this.version, plaintext.length));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([explicit, ct, c.getAuthTag()]);
  }

  open(type: number, fragment: Buffer): Buffer {
    if (fragment.length < 24) throw new BadRecordMac('GCM record shorter than nonce and tag');
    const ct = fragment.subarray(8, fragment.length - 16);
    const d = createDecipheriv(
      this.p.cipher as 'aes-128-gcm',
      this.keys.key,
      Buffer.concat([this.keys.iv, fragment.subarray(0, 8)]),
    );
    d.setAAD(header(this.seq++, type, this.version, ct.length));
    d.setAuthTag(fragment.subarray(fragment.length - 16));
    try {
      return Buffer.concat([d.update(ct), d.final()]);
    } catch {
      throw new BadRecordMac('GCM tag mismatch');
    }
  }
}

export function protection(p: CipherParams, version: number, keys: DirectionKeys): Protection {
  return p.aead ? new GcmProtection(p, version, keys) : new CbcProtection(p, version, keys);
}

/** Splits the key block (RFC 5246 §6.3) into the client's and the server's write keys. */
export function splitKeyBlock(
  p: CipherParams,
  version: number,
  block: Buffer,
): { client: DirectionKeys; server: DirectionKeys } {
  let at = 0;
  const take = (n: number) => block.subarray(at, (at += n));
  const macLen = p.macLen;
  const ivLen = p.aead ? 4 : version === 0x0301 ? p.blockOrSalt : 0;
  const [cm, sm, ck, sk, civ, siv] = [
    take(macLen),
    take(macLen),
    take(p.keyLen),
    take(p.keyLen),
    take(ivLen),
    take(ivLen),
  ];
  return { client: { key: ck, macKey: cm, iv: civ }, server: { key: sk, macKey: sm, iv: siv } };
}

export function keyBlockLength(p: CipherParams, version: number): number {
  const ivLen = p.aead ? 4 : version === 0x0301 ? p.blockOrSalt : 0;
  return 2 * (p.macLen + p.keyLen + ivLen);
}
