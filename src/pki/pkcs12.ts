/**
 * PKCS#12 bundles for device certificates, assembled from node-forge primitives.
 *
 * forge.pkcs12.toPkcs12Asn1 only takes RSA keys, and device keys may be EC (P-256), so the PFX
 * is built here from the key's PKCS#8 DER: certificates in a plain data bag, the key in a
 * pkcs8ShroudedKeyBag (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC), MAC HMAC-SHA256 with the
 * PKCS#12 KDF. The password is PKCS12_PASSWORD (documented in the export README): an empty
 * password is encoded differently by different tools, a fixed word is not.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';

import { PKCS12_PASSWORD } from './pkcs12-password.js';

export { PKCS12_PASSWORD };

const { asn1, pki } = forge;
const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (name: string) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(pki.oids[name]!).getBytes());
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
const der = (node: forge.asn1.Asn1) => asn1.toDer(node).getBytes();

/** PKCS#12 (DER) holding the key and certificates; the first certificate pairs with the key. */
export function toPkcs12(certPems: string[], keyPem: string, friendlyName: string, password = PKCS12_PASSWORD): Buffer {
  const certDers = certPems.map((pem) => new crypto.X509Certificate(pem).raw.toString('binary'));
  const localKeyId = crypto.createHash('sha1').update(Buffer.from(certDers[0]!, 'binary')).digest('binary');
  const attrs = bagAttributes(localKeyId, friendlyName);
  const certBags = certDers.map((d, i) =>
    safeBag('certBag', seq([oid('x509Certificate'), explicit0(octets(d))]), i === 0 ? attrs : null),
  );
  const keyBag = safeBag('pkcs8ShroudedKeyBag', shroudedKey(keyPem, password), attrs);
  const authSafe = seq([dataContent(seq(certBags)), dataContent(seq([keyBag]))]);
  const pfx = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    dataContent(authSafe),
    macData(der(authSafe), password),
  ]);
  return Buffer.from(der(pfx), 'binary');
}

function shroudedKey(keyPem: string, password: string): forge.asn1.Asn1 {
  const pkcs8 = crypto.createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const info = asn1.fromDer(forge.util.createBuffer(pkcs8.toString('binary')));
  const options = {
    algorithm: 'aes256',
    count: 2048,
    saltSize: 16,
    prfAlgorithm: 'sha256',
  } as forge.pki.EncryptionOptions;
  return pki.encryptPrivateKeyInfo(info, password, options);
}

function bagAttributes(localKeyId: string, friendlyName: string): forge.asn1.Asn1 {
  const bmp = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName);
  return set([seq([oid('localKeyId'), set([octets(localKeyId)])]), seq([oid('friendlyName'), set([bmp])])]);
}

function safeBag(type: string, value: forge.asn1.Asn1, attrs: forge.asn1.Asn1 | null): forge.asn1.Asn1 {
  return seq([oid(type), explicit0(value), ...(attrs ? [attrs] : [])]);
}

function dataContent(content: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid('data'), explicit0(octets(der(content)))]);
}

/** MacData: HMAC-SHA256 over the AuthenticatedSafe, key from the PKCS#12 KDF (id 3). */
function macData(authSafeDer: string, password: string): forge.asn1.Asn1 {
  const salt = crypto.randomBytes(16).toString('binary');
  const iterations = 2048;
  const key = forge.pkcs12.generateKey(
    password,
    forge.util.createBuffer(salt),
    3,
    iterations,
    32,
    forge.md.sha256.create(),
  );
  const mac = crypto
    .createHmac('sha256', Buffer.from(key.getBytes(), 'binary'))
    .update(Buffer.from(authSafeDer, 'binary'))
    .digest('binary');
  const digestAlg = seq([oid('sha256'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]);
  return seq([
    seq([digestAlg, octets(mac)]),
    octets(salt),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);
}
