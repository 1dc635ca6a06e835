import t from 'tap';
import { allCas, findCa, isRoot, pathToRoot, ROOTS } from '../../src/pki/catalog.js';
import { CHAINS, getChain, LEAF_NAMES } from '../../src/pki/chains.js';
import { leafTemplate, windowFits, windowFor, deviceTemplate, safeDeviceId } from '../../src/pki/specs.js';
import { isHubtlsError } from '../../src/errors.js';

t.test('every CA issuer exists and every path ends at a self-signed root', async (t) => {
  for (const ca of allCas()) {
    t.ok(findCa(ca.issuerId), `${ca.id}: issuer ${ca.issuerId} exists`);
    const path = pathToRoot(ca.id);
    const top = path[path.length - 1]!;
    t.equal(top.issuerId, top.id, `${ca.id}: path ends self-signed (${path.map((c) => c.id).join(' → ')})`);
    t.equal(top.role, 'root', `${ca.id}: path ends at a root`);
  }
});

t.test('every chain: served intermediates exist and link leaf issuer → … → named root', async (t) => {
  for (const chain of CHAINS) {
    for (const id of chain.served) t.ok(findCa(id), `${chain.id}: served ${id} exists`);
    t.ok(isRoot(chain.rootId), `${chain.id}: root ${chain.rootId} is a root`);
    if (chain.leaf?.selfSigned) continue;
    const path = pathToRoot(chain.leafIssuerId).map((c) => c.id);
    const anchors = [chain.rootId, ...(chain.altRootIds ?? [])];
    t.equal(path[path.length - 1], chain.rootId, `${chain.id}: leaf issuer path ends at ${chain.rootId}`);
    if (chain.served.length > 0)
      t.equal(chain.served[0], chain.leafIssuerId, `${chain.id}: first served cert issues the leaf`);
    for (const id of chain.served) {
      const top = pathToRoot(id).at(-1)!.id;
      t.ok(anchors.includes(top), `${chain.id}: served ${id} chains to one of ${anchors.join(', ')}`);
    }
  }
});

t.test('cross-signed variants share key id and subject, differ in issuer', async (t) => {
  const byKey = new Map<string, string[]>();
  for (const ca of allCas()) byKey.set(ca.keyId, [...(byKey.get(ca.keyId) ?? []), ca.id]);
  const cross = [...byKey.entries()].filter(([, ids]) => ids.length > 1);
  t.equal(cross.length, 6, 'RSA 03/04/07/08 and ECC 03/04 are cross-signed');
  for (const [keyId, ids] of cross) {
    const [a, b] = ids.map((id) => findCa(id)!);
    t.same(a!.subject, b!.subject, `${keyId}: same subject`);
    t.same(a!.key, b!.key, `${keyId}: same key shape`);
    t.not(a!.issuerId, b!.issuerId, `${keyId}: different issuers`);
  }
  t.same(findCa('azure-rsa-tls-ca-03@g2')?.issuerId, 'digicert-g2');
  t.same(findCa('azure-rsa-tls-ca-03@msrsa2017')?.issuerId, 'msrsa2017');
  t.same(findCa('azure-ecc-tls-ca-03@g3')?.issuerId, 'digicert-g3');
  t.same(findCa('azure-ecc-tls-ca-04@msecc2017')?.issuerId, 'msecc2017');
});

t.test('real names, key shapes, algorithms and dates of the stand-ins', async (t) => {
  const bal = findCa('baltimore')!;
  t.same(bal.subject, [
    ['C', 'IE'],
    ['O', 'Baltimore'],
    ['OU', 'CyberTrust'],
    ['CN', 'Baltimore CyberTrust Root'],
  ]);
  t.same(
    [bal.key, bal.signature, bal.notBefore.slice(0, 10)],
    [{ type: 'rsa', bits: 2048 }, 'sha1WithRSAEncryption', '2000-05-12'],
  );
  t.same(findCa('digicert-g3')!.key, { type: 'ec', curve: 'P-384' });
  t.same(findCa('msrsa2017')!.key, { type: 'rsa', bits: 4096 });
  t.equal(findCa('msrsa2017')!.signature, 'sha384WithRSAEncryption');
  t.equal(
    findCa('ms-it-tls-ca-1')!
      .subject.map(([k]) => k)
      .join(','),
    'C,ST,L,O,OU,CN',
  );
  t.equal(findCa('azure-rsa-tls-ca-08@g2')!.subject.at(-1)![1], 'Microsoft Azure RSA TLS Issuing CA 08');
  t.equal(findCa('azure-tls-ca-06')!.issuerId, 'digicert-g2');
  t.equal(ROOTS.filter((r) => !r.testOnly).length, 5, 'five Azure roots');
});

t.test('defect fixtures are named by their defect; unknown chain is a HubtlsError', async (t) => {
  for (const d of [
    'expired',
    'not-yet-valid',
    'wrong-host',
    'missing-intermediate',
    'self-signed-leaf',
    'untrusted-root',
    'sha1-leaf',
    'oversized-chain',
    'weak-key',
  ]) {
    t.equal(getChain(d).defect, d, `${d} exists`);
  }
  t.equal(getChain('missing-intermediate').served.length, 0);
  try {
    getChain('nope');
    t.fail('should throw');
  } catch (e) {
    t.ok(isHubtlsError(e) && e.code === 'HUBTLS_UNKNOWN_CHAIN', 'code');
    t.match((e as { hint?: string }).hint, /g2-cross-msrsa2017/, 'hint lists valid ids');
  }
});

t.test('leaf templates: names, key shapes, signature, ids', async (t) => {
  const at = new Date('2025-01-01T00:00:00Z');
  const spec = leafTemplate('g2', 'iothub').spec(windowFor('valid', at));
  t.same(spec.san, { dns: [...LEAF_NAMES.iothub.dns, 'localhost'], ip: ['127.0.0.1', '::1'] });
  t.equal(spec.signature, 'sha384WithRSAEncryption');
  t.equal(leafTemplate('baltimore', 'dps').spec(windowFor('valid', at)).signature, 'sha256WithRSAEncryption');
  t.same(leafTemplate('ecc-g3', 'dps').key.shape, { type: 'ec', curve: 'P-384' });
  t.same(leafTemplate('weak-key', 'dps').key.shape, { type: 'rsa', bits: 1024 });
  t.equal(leafTemplate('self-signed-leaf', 'iothub').spec(windowFor('valid', at)).issuerId, null);
  t.not(leafTemplate('g2', 'iothub', 2).key.id, leafTemplate('g2', 'iothub', 1).key.id, 'generation → key id');
  const wrong = leafTemplate('wrong-host', 'iothub').spec(windowFor('valid', at));
  t.same(wrong.san, { dns: ['*.wrong-host.example'], ip: [] });
  t.throws(() => leafTemplate('g2', 'iothub', 0), 'generation 0 refused');
});

t.test('validity windows around validAt and when a cached window still fits', async (t) => {
  const at = new Date('2025-06-01T12:00:00.250Z');
  const day = 86_400_000;
  const v = windowFor('valid', at);
  t.equal(v.notBefore.toISOString(), '2025-03-03T12:00:00.000Z', 'valid starts 90 d before');
  t.equal((v.notAfter.getTime() - at.getTime() + 250) / day, 275, 'valid ends 275 d after');
  const e = windowFor('expired', at);
  t.equal((at.getTime() - 250 - e.notAfter.getTime()) / day, 30, 'expired ended 30 d before');
  const n = windowFor('not-yet-valid', at);
  t.equal((n.notBefore.getTime() - at.getTime() + 250) / day, 30, 'not-yet-valid starts 30 d after');
  t.ok(windowFits('valid', v.notBefore, v.notAfter, new Date(at.getTime() + 200 * day)), 'reused 200 d later');
  t.notOk(
    windowFits('valid', v.notBefore, v.notAfter, new Date(at.getTime() + 250 * day)),
    'not reused with < 30 d left',
  );
  t.notOk(windowFits('valid', v.notBefore, v.notAfter, new Date('2024-01-01')), 'not reused before it starts');
  t.ok(
    windowFits('expired', e.notBefore, e.notAfter, new Date(at.getTime() + 20 * day)),
    'expired leaf reused 20 d later',
  );
  t.notOk(
    windowFits('expired', e.notBefore, e.notAfter, new Date(at.getTime() + 45 * day)),
    'not once it ended > 60 d before',
  );
  t.notOk(
    windowFits('expired', e.notBefore, e.notAfter, new Date(at.getTime() - 30 * day)),
    'nor when it is not expired at validAt',
  );
  t.ok(
    windowFits('not-yet-valid', n.notBefore, n.notAfter, new Date(at.getTime() - 20 * day)),
    'future leaf reused 20 d earlier',
  );
  t.notOk(
    windowFits('not-yet-valid', n.notBefore, n.notAfter, new Date(at.getTime() + 30 * day)),
    'no longer in the future',
  );
  t.notOk(windowFits('not-yet-valid', n.notBefore, n.notAfter, new Date('2024-01-01')), 'too far in the future');
});

t.test('device templates', async (t) => {
  const d = deviceTemplate('dev-01', { signer: 'self', keyType: 'ec' });
  t.equal(d.key.id, 'device.dev-01.self.ec');
  t.equal(d.spec(windowFor('valid', new Date())).signature, 'ecdsa-with-SHA256');
  t.equal(deviceTemplate('dev-01').spec(windowFor('valid', new Date())).issuerId, 'device-root-ca');
  t.equal(safeDeviceId("a.b:c@d'"), 'a~2eb~3ac~40d~27');
  t.throws(() => deviceTemplate('bad/id'), 'slash refused');
  t.throws(() => deviceTemplate(''), 'empty refused');
});
