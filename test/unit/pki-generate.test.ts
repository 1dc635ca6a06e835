import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { dnString, findCa, ROOTS } from '../../src/pki/catalog.js';
import { chainVerifies, publicKeyOf, sharedStore } from '../helpers/pki.js';
import type { Issued } from '../../src/pki/store.js';

const DAY = 86_400_000;
const store = await sharedStore();

function sigAlg(pem: string): string {
  const alg = new x509.X509Certificate(pem).signatureAlgorithm as { name: string; hash: { name: string } };
  const hash = alg.hash.name.replace('-', '');
  return alg.name === 'ECDSA' ? `ecdsa-with-${hash}` : `${hash.toLowerCase()}WithRSAEncryption`;
}

function ext<T extends x509.Extension>(pem: string, type: new (raw: BufferSource) => T): T | null {
  return new x509.X509Certificate(pem).getExtension(type);
}

const node = (i: Issued) => new crypto.X509Certificate(i.certPem);

t.test('roots: real subject, key, signature algorithm, dates; self-signed CA', async (t) => {
  for (const def of ROOTS) {
    const r = await store.root(def.id);
    t.equal(r.subject, dnString(def.subject), `${def.id}: subject`);
    t.equal(r.issuer, r.subject, `${def.id}: self-issued`);
    t.same([r.keyType, r.keyBits], def.key.type === 'rsa' ? ['rsa', def.key.bits] : ['ec', 384], `${def.id}: key`);
    t.equal(sigAlg(r.certPem), def.signature, `${def.id}: ${def.signature}`);
    t.equal(r.notBefore.toISOString(), new Date(def.notBefore).toISOString(), `${def.id}: real notBefore`);
    t.equal(r.notAfter.toISOString(), '2049-12-31T23:59:59.000Z', `${def.id}: stand-in notAfter`);
    t.ok(node(r).verify(node(r).publicKey), `${def.id}: self-signature verifies`);
    t.same(
      [node(r).ca, ext(r.certPem, x509.BasicConstraintsExtension)?.critical],
      [true, true],
      `${def.id}: CA, critical`,
    );
  }
});

t.test('g2 chain (both kinds): names, keys, algorithms, extensions, serials', async (t) => {
  for (const kind of ['iothub', 'dps'] as const) {
    const c = await store.serve('g2', { kind });
    const [leaf, ca] = [c.leaf, c.intermediates[0]!];
    t.ok(chainVerifies(c), `${kind}: chain verifies`);
    t.equal(ca.subject, 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03');
    t.same(
      [ca.keyType, ca.keyBits, sigAlg(ca.certPem)],
      ['rsa', 4096, 'sha384WithRSAEncryption'],
      `${kind}: CA key and alg`,
    );
    t.equal(ext(ca.certPem, x509.BasicConstraintsExtension)?.pathLength, 0, 'issuing CA pathLen 0');
    t.same(
      [leaf.keyType, leaf.keyBits, sigAlg(leaf.certPem)],
      ['rsa', 2048, 'sha384WithRSAEncryption'],
      `${kind}: leaf key and alg`,
    );
    t.same(node(leaf).keyUsage, ['1.3.6.1.5.5.7.3.1'], `${kind}: serverAuth EKU`);
    t.equal(
      ext(leaf.certPem, x509.AuthorityKeyIdentifierExtension)?.keyId,
      ext(ca.certPem, x509.SubjectKeyIdentifierExtension)?.keyId,
      `${kind}: leaf AKI = CA SKI`,
    );
    // 19 bytes, as Microsoft's issuing CAs give their leaves (src/pki/real-certs.ts)
    t.match(node(leaf).serialNumber, /^[0-7][0-9A-F]{37}$/, `${kind}: 19-byte positive serial`);
    t.equal(c.certPem, leaf.certPem + ca.certPem, `${kind}: served PEM is leaf then intermediate`);
  }
  const hub = await store.serve('g2', { kind: 'iothub' });
  t.equal(hub.leaf.subject, 'C=US, ST=WA, L=Redmond, O=Microsoft Corporation, CN=*.azure-devices.net');
  t.equal(
    node(hub.leaf).subjectAltName,
    'DNS:*.azure-devices.net, DNS:*.amqpws.azure-devices.net, DNS:*.su.management-azure-devices.net, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  );
  const dps = await store.serve('g2', { kind: 'dps' });
  t.match(
    node(dps.leaf).subjectAltName,
    /DNS:\*\.azure-devices-provisioning\.net, DNS:global\.azure-devices-provisioning\.net/,
  );
  t.ok(node(dps.leaf).checkHost('global.azure-devices-provisioning.net'), 'dps leaf names the global endpoint');
});

t.test("ECC and Baltimore chains use their issuers' algorithms", async (t) => {
  const ecc = await store.serve('ecc-g3', { kind: 'iothub' });
  t.same([ecc.keyType, ecc.leaf.keyBits, sigAlg(ecc.leaf.certPem)], ['ec', 384, 'ecdsa-with-SHA384']);
  t.same([ecc.intermediates[0]!.keyBits, sigAlg(ecc.intermediates[0]!.certPem)], [384, 'ecdsa-with-SHA384']);
  t.ok(chainVerifies(ecc), 'ecc chain verifies');
  const bal = await store.serve('baltimore', { kind: 'dps' });
  t.same(
    [sigAlg(bal.intermediates[0]!.certPem), sigAlg(bal.leaf.certPem)],
    ['sha256WithRSAEncryption', 'sha256WithRSAEncryption'],
  );
  t.equal(bal.intermediates[0]!.notBefore.toISOString().slice(0, 10), '2020-07-21');
  t.ok(chainVerifies(bal), 'baltimore chain verifies');
});

t.test('cross-signed variants: one key and subject, two issuers', async (t) => {
  const c = await store.serve('g2-cross-msrsa2017', { kind: 'iothub' });
  const [byG2, byMs] = c.intermediates;
  t.same([byG2!.id, byMs!.id], ['azure-rsa-tls-ca-03@g2', 'azure-rsa-tls-ca-03@msrsa2017']);
  t.equal(publicKeyOf(byG2!.certPem), publicKeyOf(byMs!.certPem), 'same key');
  t.equal(byG2!.subject, byMs!.subject, 'same subject');
  t.not(byG2!.issuer, byMs!.issuer, 'different issuers');
  t.ok(
    chainVerifies({ leaf: c.leaf, intermediates: [byMs!], root: await store.root('msrsa2017') }),
    'leaf verifies via the MS RSA 2017 path too',
  );
});

t.test('leaf window follows validAt; re-issue outside it keeps the key', async (t) => {
  const validAt = new Date('2025-01-01T00:00:00Z');
  const a = await store.serve('g2', { kind: 'iothub', validAt });
  t.equal(a.leaf.notBefore.getTime(), validAt.getTime() - 90 * DAY, 'notBefore = validAt − 90 d');
  t.equal(a.leaf.notAfter.getTime(), validAt.getTime() + 275 * DAY, 'notAfter = validAt + 275 d');
  const b = await store.serve('g2', { kind: 'iothub', validAt: new Date('2025-03-01T00:00:00Z') });
  t.equal(b.leaf.fingerprint256, a.leaf.fingerprint256, 'same leaf while validAt is inside the window');
  const later = await store.serve('g2', { kind: 'iothub', validAt: new Date('2026-06-01T00:00:00Z') });
  t.not(later.leaf.fingerprint256, a.leaf.fingerprint256, 'new certificate outside the window');
  t.equal(publicKeyOf(later.leaf.certPem), publicKeyOf(a.leaf.certPem), 'same leaf key');
  t.ok(
    later.leaf.notBefore <= new Date('2026-06-01') && later.leaf.notAfter > new Date('2026-07-01'),
    'covers the new validAt',
  );
  const exp = await store.serve('expired', { kind: 'dps', validAt });
  t.equal(exp.leaf.notAfter.getTime(), validAt.getTime() - 30 * DAY, 'expired ended 30 d before validAt');
  const nyv = await store.serve('not-yet-valid', { kind: 'dps', validAt });
  t.equal(nyv.leaf.notBefore.getTime(), validAt.getTime() + 30 * DAY, 'not-yet-valid starts 30 d after validAt');
  t.equal(
    a.intermediates[0]!.notBefore.toISOString().slice(0, 10),
    findCa('azure-rsa-tls-ca-03@g2')!.notBefore.slice(0, 10),
  );
});

t.test('leaf rotation: a new generation has a new key and serial, same names', async (t) => {
  const g1 = await store.serve('g2', { kind: 'iothub', generation: 1 });
  const g2 = await store.serve('g2', { kind: 'iothub', generation: 2 });
  t.not(publicKeyOf(g2.leaf.certPem), publicKeyOf(g1.leaf.certPem), 'new key');
  t.not(node(g2.leaf).serialNumber, node(g1.leaf).serialNumber, 'new serial');
  t.equal(g2.leaf.subject, g1.leaf.subject, 'same subject');
  t.equal(node(g2.leaf).subjectAltName, node(g1.leaf).subjectAltName, 'same SANs');
  t.equal(g2.intermediates[0]!.fingerprint256, g1.intermediates[0]!.fingerprint256, 'same intermediate');
});

t.test('defect leaves have their defect', async (t) => {
  const big = await store.serve('oversized-chain', { kind: 'iothub' });
  const der = [big.leaf, ...big.intermediates].reduce((n, i) => n + i.der.length, 0);
  t.ok(der > 16_384, `oversized chain: ${der} DER bytes served`);
  t.equal((await store.serve('weak-key', { kind: 'dps' })).leaf.keyBits, 1024);
  t.equal(sigAlg((await store.serve('sha1-leaf', { kind: 'dps' })).leaf.certPem), 'sha1WithRSAEncryption');
  const self = await store.serve('self-signed-leaf', { kind: 'iothub' });
  t.same([self.intermediates.length, self.leaf.issuer === self.leaf.subject], [0, true], 'self-signed, served alone');
  const wrong = await store.serve('wrong-host', { kind: 'dps' });
  t.notOk(node(wrong.leaf).checkHost('localhost'), 'wrong-host has no localhost');
  t.ok(node(wrong.leaf).checkHost('x.wrong-host.example'), 'wrong-host matches *.wrong-host.example');
});

t.test('device certificates', async (t) => {
  const ca = await store.deviceCert('dev-ca-01');
  t.equal(ca.subject, 'CN=dev-ca-01');
  t.same(node(ca).keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth EKU');
  const root = await store.root('device-root-ca');
  t.ok(node(ca).verify(node(root).publicKey), 'CA-signed device cert verifies against device-root-ca');
  t.equal(ca.chainPem, ca.certPem + root.certPem, 'chainPem = device cert + CA');
  t.equal((await store.deviceCert('dev-ca-01')).fingerprint256, ca.fingerprint256, 'reused');
  const self = await store.deviceCert('dev-self-01', { signer: 'self', keyType: 'ec' });
  t.same([self.keyType, self.keyBits, self.issuer], ['ec', 256, 'CN=dev-self-01']);
  t.ok(node(self).verify(node(self).publicKey), 'self-signed verifies');
  const expired = await store.deviceCert('dev-ca-01', { validity: 'expired' });
  t.ok(expired.notAfter < new Date(), 'expired variant has ended');
  t.equal(publicKeyOf(expired.certPem), publicKeyOf(ca.certPem), 'expired variant: same device key');
  const nb = new Date('2024-02-01T00:00:00Z');
  const fixed = await store.deviceCert('dev-ca-01', {
    validity: { notBefore: nb, notAfter: new Date('2024-03-01T00:00:00Z') },
  });
  t.same([fixed.notBefore, fixed.notAfter.toISOString()], [nb, '2024-03-01T00:00:00.000Z'], 'explicit window');
  await t.rejects(store.deviceCert('no/slash'), { code: 'HUBTLS_BAD_DEVICE_ID' });
});
