/**
 * Scenario library, root and chain stories: real clients (openssl s_client with the exported
 * stand-in roots, Node tls with a device's trust or pins) see each story, and hubtls logs it.
 */
import t from 'tap';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedStore } from '../helpers/pki.js';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { verdict } from '../helpers/verdict.js';
import { exportedTrust, ROOT, type Trust } from '../helpers/trust.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { nextNotice } from '../helpers/events.js';

const HUB = ['-servername', 'myhub.azure-devices.net', '-verify_return_error'];
let trust: Trust;

t.before(async () => {
  trust = await exportedTrust();
});

t.test('baltimore-to-g2-migration: a Baltimore-only device connects, is dropped, and fails on reconnect', async (t) => {
  const th = await startTestHub(t, 'scenarios/baltimore-to-g2-migration.yaml');
  const before = await nodeConnect(th.port, { ca: trust.pem(ROOT.baltimore), keepOpen: true });
  t.ok(before.ok, `Baltimore-only device connects before the migration (${before.message ?? ''})`);
  const first = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
  t.match(first.chain, { id: 'baltimore', root: /Baltimore CyberTrust Root/ });

  const step = await nextNotice(th, 'step', { step: 'migrate' });
  t.equal(step.ok, true, step.msg);
  if (!before.socket!.destroyed) await once(before.socket!, 'close');
  t.pass('the open connection was dropped by the migration');

  const after = await sClient(th.port, [...HUB, '-CAfile', trust.file(ROOT.baltimore)]);
  t.notOk(after.handshakeOk);
  t.match(after.output, /unable to get local issuer certificate/);
  const rejected = await th.nextHandshake((h) => h.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
  t.equal(rejected.alertReceived, 'unknown_ca');
  t.match(rejected.reason, /client rejected our chain g2 .*DigiCert Global Root G2/);

  const both = await sClient(th.port, [...HUB, '-CAfile', trust.file(ROOT.legacyBundle)]);
  t.equal(verdict(both), 0, 'a device trusting Baltimore and G2 keeps working');
  const g2 = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED' && h.chain?.id === 'g2');
  t.match(g2.chain?.root, /DigiCert Global Root G2/);
});

t.test(
  'g2-to-msrsa2017-cross-sign: the Azure bundle works throughout; single-root devices break at their step',
  async (t) => {
    const th = await startTestHub(t, 'scenarios/g2-to-msrsa2017-cross-sign.yaml');
    const verify = async (stem: string) => verdict(await sClient(th.port, [...HUB, '-CAfile', trust.file(stem)]));
    const phase = async () => ({
      bundle: await verify(ROOT.bundle),
      g2: await verify(ROOT.g2),
      ms: await verify(ROOT.msrsa2017),
    });

    t.same(
      await phase(),
      { bundle: 0, g2: 0, ms: 20 },
      'chain g2: the MS-RSA-2017-only device cannot build a path (error 20)',
    );
    await th.hub.runtime.timeline.trigger('cross-sign');
    t.same(
      await phase(),
      { bundle: 0, g2: 0, ms: 20 },
      'cross-signed: OpenSSL follows the first (G2) path and does not retry the MS RSA 2017 one',
    );
    t.ok(
      th.handshakes().some((h) => h.chain?.id === 'g2-cross-msrsa2017'),
      'hubtls logs the cross-signed chain',
    );
    await th.hub.runtime.timeline.trigger('msrsa2017');
    t.same(
      await phase(),
      { bundle: 0, g2: 20, ms: 0 },
      'chain msrsa2017: the G2-only device fails, the MS-RSA-2017 device works',
    );
    const rejected = th.handshakes().filter((h) => h.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
    t.ok(
      rejected.every((h) => h.alertReceived === 'unknown_ca'),
      'every refusal is logged with unknown_ca',
    );
    t.ok(rejected.some((h) => /chain msrsa2017 .*Microsoft RSA Root Certificate Authority 2017/.test(h.reason)));
  },
);

t.test('leaf-rotation-breaks-pinning: a leaf pin fails after the rotation, root trust does not', async (t) => {
  const th = await startTestHub(t, 'scenarios/leaf-rotation-breaks-pinning.yaml');
  const first = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.ok(first.ok && first.leafSpki, 'first connection: the device records the leaf key it pins');
  await nextNotice(th, 'step', { step: 'rotate-leaf' });
  const pinned = await nodeConnect(th.port, {
    ca: trust.pem(ROOT.g2),
    pin: { level: 'leaf', sha256: first.leafSpki! },
  });
  t.notOk(pinned.ok);
  t.equal(pinned.code, 'PIN_MISMATCH', pinned.message ?? 'pin mismatch');
  const rooted = await nodeConnect(th.port, {
    ca: trust.pem(ROOT.g2),
    pin: { level: 'intermediate', sha256: first.intermediateSpki! },
  });
  t.ok(rooted.ok, 'root trust and an intermediate pin still work');
  const accepted = th.handshakes().filter((h) => h.outcome === 'HUBTLS_ACCEPTED');
  t.equal(accepted.length, 3);
  t.not(accepted[0]!.chain?.leafSha256, accepted[1]!.chain?.leafSha256, 'hubtls logs the new leaf');
  t.equal(accepted[1]!.chain?.id, 'g2', 'same chain id: only the leaf changed');
});

t.test('intermediate-rotation: on admin trigger the CA changes; pins break, root trust holds', async (t) => {
  const th = await startTestHub(t, 'scenarios/intermediate-rotation.yaml');
  const first = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.ok(first.ok && first.intermediateSpki);
  const store = await sharedStore();
  const ca03 = (await store.serve('g2', { kind: 'iothub' })).intermediates[0]!.certPem;
  const caFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-ca-')), 'ca03.pem');
  writeFileSync(caFile, ca03);
  const partial = ['-CAfile', caFile, '-partial_chain'];
  t.equal(
    verdict(await sClient(th.port, [...HUB, ...partial])),
    0,
    'a device trusting only CA 03 (partial chain) works before',
  );

  await th.hub.runtime.timeline.trigger('rotate-ca');
  const step = await nextNotice(th, 'step', { step: 'rotate-ca' });
  t.match(step.by, 'admin trigger');
  const pinned = await nodeConnect(th.port, {
    ca: trust.pem(ROOT.g2),
    pin: { level: 'intermediate', sha256: first.intermediateSpki! },
  });
  t.equal(pinned.code, 'PIN_MISMATCH', 'the intermediate pin fails');
  const onlyCa = await sClient(th.port, [...HUB, ...partial]);
  t.match(onlyCa.output, /unable to get local issuer certificate/, 'the CA-03-only device fails');
  const rooted = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.ok(rooted.ok, 'root trust holds');
  const last = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED' && h.chain?.id === 'g2-ca04');
  t.match(last.chain?.root, /DigiCert Global Root G2/);
  await t.rejects(th.hub.runtime.timeline.trigger('rotate-ca'), { code: 'HUBTLS_STEP_DONE' }, 'a step runs once');
  await t.rejects(th.hub.runtime.timeline.trigger('rotate-cq'), {
    code: 'HUBTLS_UNKNOWN_STEP',
    message: /did you mean "rotate-ca"/,
  });
});
