/**
 * Scenario library, profile stories: TLS 1.2 enforcement, the 2025 suite change (driven by the
 * simulated clock), the ECC and TLS 1.3 previews, DPS's legacy suites. Real clients, real alerts.
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { verdict } from '../helpers/verdict.js';
import { exportedTrust, ROOT, type Trust } from '../helpers/trust.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { nextNotice } from '../helpers/events.js';

const SNI = ['-servername', 'myhub.azure-devices.net'];
const TLS10 = [...SNI, '-tls1', '-cipher', 'ALL:@SECLEVEL=0'];
const TLS_RSA = [...SNI, '-tls1_2', '-cipher', 'AES128-GCM-SHA256'];
const ECDHE_RSA = [...SNI, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'];
const ECDSA_ONLY = [...SNI, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'];
const VERIFY = ['-verify_return_error'];
/** Leaves are issued for the scenario clock: a device checks them at the scenario's time. */
const AT_CHANGE = ['-attime', String(Date.parse('2025-08-31T00:00:05Z') / 1000)];
let trust: Trust;

t.before(async () => {
  trust = await exportedTrust();
});

t.test(
  "tls12-enforcement: TLS 1.0 and TLS_RSA devices work until the admin step, then get Azure's alerts",
  async (t) => {
    const th = await startTestHub(t, 'scenarios/tls12-enforcement.yaml');
    t.equal((await sClient(th.port, TLS10)).protocol, 'TLSv1', 'TLS 1.0 device connects under iothub-legacy');
    t.ok((await sClient(th.port, TLS_RSA)).handshakeOk, 'TLS_RSA device connects');
    await th.hub.runtime.timeline.trigger('enforce-tls12');
    t.equal((await sClient(th.port, TLS10)).alert, 70, 'TLS 1.0 device: protocol_version');
    t.equal((await sClient(th.port, TLS_RSA)).alert, 40, 'TLS_RSA device: handshake_failure');
    const modern = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    t.ok(modern.ok, 'a Node device with ECDHE-RSA-AES128-GCM-SHA256 keeps working');
    const version = await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION');
    t.equal(version.profile, 'iothub-tls12');
    t.equal(version.alertSent, 'protocol_version');
    const cipher = await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_CIPHER');
    t.match(
      cipher.reason,
      /none of them listed by iothub-tls12; iothub-tls12 accepts .*TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384/,
    );
  },
);

t.test('suite-change-2025: moving the scenario clock past 2025-08-31 fires the change', async (t) => {
  const th = await startTestHub(t, 'scenarios/suite-change-2025.yaml');
  t.ok((await sClient(th.port, TLS_RSA)).handshakeOk, '2025-08-30: TLS_RSA still works');
  t.equal((await sClient(th.port, ECDSA_ONLY)).alert, 40, '2025-08-30: an ECDSA-only device finds no suite');
  await th.hub.runtime.setClock(new Date('2025-08-31T00:00:05Z'));
  const step = await nextNotice(th, 'step', { step: 'suites-2025' });
  t.match(step.by, /scenario clock reached 2025-08-31T00:00:00/);
  t.equal((await sClient(th.port, TLS10)).alert, 70, 'TLS 1.0: protocol_version');
  t.equal((await sClient(th.port, TLS_RSA)).alert, 40, 'TLS_RSA: handshake_failure');
  t.equal(
    verdict(await sClient(th.port, [...ECDHE_RSA, ...VERIFY, ...AT_CHANGE, '-CAfile', trust.file(ROOT.g2)])),
    0,
    'ECDHE-RSA keeps working under G2',
  );
  const ecdsa = await sClient(th.port, [...ECDSA_ONLY, ...VERIFY, ...AT_CHANGE, '-CAfile', trust.file(ROOT.g3)]);
  t.equal(verdict(ecdsa), 0, 'the ECDSA-only device now connects and verifies against G3');
  const ecc = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED' && h.chain?.keyType === 'ec');
  t.equal(ecc.profile, 'iothub-2025');
  t.match(ecc.chain?.root, /DigiCert Global Root G3/);
});

t.test('ecc-preview: ECDSA-only offers get the G3 chain, RSA offers the G2 chain', async (t) => {
  const th = await startTestHub(t, 'scenarios/ecc-preview.yaml');
  t.equal(
    verdict(await sClient(th.port, [...ECDSA_ONLY, ...VERIFY, '-CAfile', trust.file(ROOT.g3)])),
    0,
    'ECDSA-only + G3 root: verified',
  );
  t.equal(
    verdict(await sClient(th.port, [...ECDSA_ONLY, ...VERIFY, '-CAfile', trust.file(ROOT.g2)])),
    20,
    'ECDSA-only + G2 root only: unable to get local issuer',
  );
  const rsa = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.ok(rsa.ok, 'a Node device offering its default suites (RSA included) gets the G2 chain');
  const events = th.handshakes();
  t.match(events[0], { outcome: 'HUBTLS_ACCEPTED', chain: { keyType: 'ec', id: 'ecc-g3' } });
  t.match(events[1], { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', alertReceived: 'unknown_ca' });
  t.match(await th.nextHandshake((h) => h.chain?.keyType === 'rsa'), {
    outcome: 'HUBTLS_ACCEPTED',
    chain: { id: 'g2' },
  });
});

t.test('tls13-preview-sni-required: TLS 1.3 with SNI, unrecognized_name without', async (t) => {
  const th = await startTestHub(t, 'scenarios/tls13-preview-sni-required.yaml');
  const tls13 = await sClient(th.port, [...SNI, '-tls1_3', '-CAfile', trust.file(ROOT.g2), '-verify_return_error']);
  t.equal(tls13.protocol, 'TLSv1.3');
  t.match(tls13.cipher, /^TLS_AES_(256|128)_GCM_SHA(384|256)$/);
  const node = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2), maxVersion: 'TLSv1.2' });
  t.equal(node.protocol, 'TLSv1.2', 'a TLS 1.2 Node device with SNI connects');
  const bare = await sClient(th.port, ['-noservername', '-tls1_3']);
  t.equal(bare.alert, 112, 'no SNI: unrecognized_name');
  const refused = await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_SNI');
  t.equal(refused.alertSent, 'unrecognized_name');
  t.match(refused.reason, /requires server_name \(SNI\)/);
});

t.test('dps-legacy-suites: a TLS_RSA-only device provisions at DPS, then cannot reach its hub', async (t) => {
  const th = await startTestHub(t, 'scenarios/dps-legacy-suites.yaml');
  const dps = await sClient(th.port, [
    '-servername',
    'global.azure-devices-provisioning.net',
    '-tls1_2',
    '-cipher',
    'AES128-GCM-SHA256',
    '-CAfile',
    trust.file(ROOT.g2),
    '-verify_return_error',
  ]);
  t.equal(verdict(dps), 0, 'DPS: handshake completes and verifies');
  const hub = await sClient(th.port, TLS_RSA);
  t.equal(hub.alert, 40, 'hub: handshake_failure');
  t.match(await th.nextHandshake((h) => h.endpoint === 'dps'), {
    outcome: 'HUBTLS_ACCEPTED',
    profile: 'dps',
    negotiated: { suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256' },
  });
  t.match(await th.nextHandshake((h) => h.endpoint === 'hub'), {
    outcome: 'HUBTLS_REFUSED_CIPHER',
    profile: 'iothub-2025',
  });
});
