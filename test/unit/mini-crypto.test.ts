/**
 * Known answers for the mini engine's PRF (against OpenSSL's own TLS1-PRF and the published
 * P_SHA256 vector) and its record protection (round trip, and tampering detected as bad_record_mac).
 */
import t from 'tap';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { prf, type PrfKind } from '../../src/tls/engines/mini/prf.js';
import { cipherParams } from '../../src/tls/engines/mini/params.js';
import { BadRecordMac, keyBlockLength, protection, splitKeyBlock } from '../../src/tls/engines/mini/protection.js';
import { needTool } from '../helpers/tools.js';

const DIGEST: Record<PrfKind, string> = { tls10: 'MD5-SHA1', sha256: 'SHA256', sha384: 'SHA384' };

function opensslPrf(kind: PrfKind, secret: Buffer, label: string, seed: Buffer, len: number): Buffer {
  const args = [
    'kdf',
    '-keylen',
    String(len),
    '-kdfopt',
    `digest:${DIGEST[kind]}`,
    '-kdfopt',
    `hexsecret:${secret.toString('hex')}`,
    '-kdfopt',
    `hexseed:${Buffer.concat([Buffer.from(label), seed]).toString('hex')}`,
    'TLS1-PRF',
  ];
  return Buffer.from(execFileSync('openssl', args, { encoding: 'utf8' }).trim().replace(/:/g, ''), 'hex');
}

t.test('P_SHA256 published vector (IETF TLS list, "test label")', async (t) => {
  const out = prf(
    'sha256',
    Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'),
    'test label',
    Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'),
    100,
  );
  t.equal(out.subarray(0, 16).toString('hex'), 'e3f229ba727be17b8d122620557cd453');
  t.equal(out.subarray(94).toString('hex'), 'f70187347b66', 'last bytes');
});

t.test('PRF equals OpenSSL TLS1-PRF for TLS 1.0/1.1 and both TLS 1.2 hashes', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  for (const kind of ['tls10', 'sha256', 'sha384'] as const) {
    for (const secretLen of [48, 47]) {
      const secret = crypto.randomBytes(secretLen); // odd length: TLS 1.0 halves overlap by one byte
      const seed = crypto.randomBytes(64);
      t.same(
        prf(kind, secret, 'key expansion', seed, 104),
        opensslPrf(kind, secret, 'key expansion', seed, 104),
        `${kind}, ${secretLen}-byte secret`,
      );
    }
  }
});

const CASES = [
  'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  'TLS_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
];

t.test('record protection: what one side seals the other opens; a flipped bit is bad_record_mac', async (t) => {
  for (const name of CASES) {
    const p = cipherParams(name)!;
    for (const version of p.suite.minVersion === 'TLSv1.2' ? [0x0303] : [0x0301, 0x0302, 0x0303]) {
      const keys = splitKeyBlock(p, version, crypto.randomBytes(keyBlockLength(p, version)));
      const [tx, rx] = [protection(p, version, keys.server), protection(p, version, keys.server)];
      const msgs = [Buffer.alloc(0), crypto.randomBytes(1), crypto.randomBytes(300), crypto.randomBytes(16384)];
      const ok = msgs.every((m) => rx.open(23, tx.seal(23, m)).equals(m));
      t.ok(ok, `${name} v${version.toString(16)}: ${msgs.length} records round-trip in sequence`);
      const sealed = tx.seal(23, Buffer.from('hello'));
      sealed[sealed.length - 1]! ^= 1;
      t.throws(() => rx.open(23, sealed), BadRecordMac, `${name} v${version.toString(16)}: tampering detected`);
    }
  }
});

t.test('TLS 1.0 CBC chains the IV: a record opened out of order fails', async (t) => {
  const p = cipherParams('TLS_RSA_WITH_AES_128_CBC_SHA')!;
  const keys = splitKeyBlock(p, 0x0301, crypto.randomBytes(keyBlockLength(p, 0x0301)));
  const tx = protection(p, 0x0301, keys.client);
  const rx = protection(p, 0x0301, keys.client);
  const first = tx.seal(23, Buffer.from('one'));
  const second = tx.seal(23, Buffer.from('two'));
  t.throws(() => rx.open(23, second), BadRecordMac);
  t.ok(first.length % 16 === 0, 'no explicit IV in TLS 1.0 records');
});

t.test('key block sizes: TLS 1.0 CBC carries IVs, 1.1+ CBC none, GCM a 4-byte salt', async (t) => {
  t.equal(keyBlockLength(cipherParams('TLS_RSA_WITH_AES_128_CBC_SHA')!, 0x0301), 2 * (20 + 16 + 16));
  t.equal(keyBlockLength(cipherParams('TLS_RSA_WITH_AES_128_CBC_SHA')!, 0x0302), 2 * (20 + 16));
  t.equal(keyBlockLength(cipherParams('TLS_RSA_WITH_3DES_EDE_CBC_SHA')!, 0x0301), 2 * (20 + 24 + 8));
  t.equal(keyBlockLength(cipherParams('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')!, 0x0303), 2 * (32 + 4));
});
