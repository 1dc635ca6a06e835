/**
 * Issue 16: every stand-in of a real certificate is within 5 % of the real one's DER size
 * (src/pki/real-certs.ts names each size's public record), so a device's buffers meet the bytes
 * they meet against Azure. Each CA and leaf is generated here with a key of its catalog shape
 * (one key per shape: the size depends on the shape, not on the key).
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { allCas, findCa } from '../../src/pki/catalog.js';
import { caSpec, leafTemplate, windowFor, type CertSpec } from '../../src/pki/specs.js';
import { generateKeyPem } from '../../src/pki/keys.js';
import { issueCertificate } from '../../src/pki/generate.js';
import { REAL_CAS, REAL_LEAVES } from '../../src/pki/real-certs.js';
import type { KeyShape } from '../../src/pki/types.js';

const keys = new Map<string, Promise<string>>();
const keyFor = (shape: KeyShape) => {
  const id = shape.type === 'rsa' ? `rsa${shape.bits}` : shape.curve;
  if (!keys.has(id)) keys.set(id, generateKeyPem(shape));
  return keys.get(id)!;
};

const issued = new Map<string, Promise<string>>();
/** A catalog CA's certificate, issued by its (generated) issuer. */
function ca(id: string): Promise<string> {
  if (!issued.has(id)) issued.set(id, issue(caSpec(id)));
  return issued.get(id)!;
}

async function issue(spec: CertSpec): Promise<string> {
  const issuer = spec.issuerId
    ? { certPem: await ca(spec.issuerId), keyPem: await keyFor(findCa(spec.issuerId)!.key) }
    : null;
  return issueCertificate(spec, await keyFor(spec.key.shape), issuer);
}

const derBytes = (pem: string) => new X509Certificate(pem).raw.length;
const within = (got: number, real: number) => Math.abs(got - real) / real <= 0.05;

t.test('every catalog CA that stands for a real one is within 5 % of its DER size', async (t) => {
  const real = allCas().filter((c) => REAL_CAS[c.id]?.realDerBytes !== undefined);
  t.ok(real.length >= 17, `${real.length} CAs have a real size on record`);
  for (const c of real) {
    const want = REAL_CAS[c.id]!.realDerBytes!;
    const got = derBytes(await ca(c.id));
    t.ok(within(got, want), `${c.id}: stand-in ${got} bytes, real ${want} (${REAL_CAS[c.id]!.source})`);
  }
  const unverified = allCas().filter((c) => !c.testOnly && REAL_CAS[c.id]?.realDerBytes === undefined);
  t.comment(`no real size on record (extensions only): ${unverified.map((c) => c.id).join(', ')}`);
});

t.test("leaves carry the real leaves' extensions; sizes on record are met", async (t) => {
  t.ok(REAL_LEAVES.iothub.realDerBytes, 'the hub leaf has a real size on record');
  for (const kind of ['iothub', 'dps'] as const) {
    // Served under Microsoft Azure RSA TLS Issuing CA 03 (RSA-4096, so a 512-byte signature), as on the g2 chain.
    const spec = leafTemplate('g2', kind).spec(windowFor('valid', new Date()));
    const pem = await issue(spec);
    const cert = new X509Certificate(pem);
    const text = cert.toLegacyObject();
    t.match(text.infoAccess, { 'OCSP - URI': ['http://oneocsp.microsoft.com/ocsp'] }, `${kind}: AIA`);
    t.ok(cert.raw.includes(Buffer.from('2b06010401d679020402', 'hex')), `${kind}: an embedded SCT list extension`);
    const real = REAL_LEAVES[kind].realDerBytes;
    if (real !== undefined)
      t.ok(within(cert.raw.length, real), `${kind}: stand-in ${cert.raw.length} bytes, real ${real}`);
    t.comment(`${kind} leaf: ${cert.raw.length} bytes (${REAL_LEAVES[kind].source})`);
  }
});
