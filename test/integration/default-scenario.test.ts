/**
 * Issue 3 acceptance: the default scenario serves today's chain; openssl verifies it against the
 * DigiCert Global Root G2 stand-in and refuses it against the Baltimore stand-in.
 */
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { sharedStore } from '../helpers/pki.js';
import { exportTrust } from '../../src/pki/export.js';

const SUITES_2025_OPENSSL = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA256',
];

t.test('default scenario', async (t) => {
  const th = await startTestHub(t, 'scenarios/default.yaml');
  const trust = mkdtempSync(path.join(os.tmpdir(), 'hubtls-trust-'));
  const files = await exportTrust(await sharedStore(), { out: trust, format: 'pem' });
  const g2 = files.find((f) => f.endsWith('digicert-global-root-g2.pem'))!;
  const baltimore = files.find((f) => f.endsWith('baltimore-cybertrust-root.pem'))!;
  t.ok(g2 && baltimore, 'export wrote the G2 and Baltimore stand-ins');
  t.match(readFileSync(g2, 'utf8'), /BEGIN CERTIFICATE/);

  await t.test('trusting the G2 stand-in: Verify return code 0 (ok)', async (t) => {
    const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-CAfile', g2, '-verify_return_error']);
    t.equal(r.verifyCode, 0, r.output);
    t.equal(r.protocol, 'TLSv1.2');
    t.ok(SUITES_2025_OPENSSL.includes(r.cipher!), `negotiated ${r.cipher} is one of the 2025 suites`);
    const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
    t.equal(e.endpoint, 'hub');
    t.equal(e.hello?.sni, 'myhub.azure-devices.net');
    t.match(e.chain?.root, /DigiCert Global Root G2/);
  });

  await t.test('trusting only the Baltimore stand-in: unknown CA, and hubtls names it', async (t) => {
    const r = await sClient(th.port, [
      '-servername',
      'myhub.azure-devices.net',
      '-CAfile',
      baltimore,
      '-verify_return_error',
    ]);
    t.notOk(r.handshakeOk);
    t.match(r.output, /unable to get local issuer certificate/);
    const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
    t.equal(e.alertReceived, 'unknown_ca');
    t.match(e.reason, /client rejected our chain g2 .*with alert unknown_ca\(48\)/);
  });

  await t.test('SNI routes to DPS, which still takes the TLS_RSA legacy suites the hub refuses', async (t) => {
    const dps = await sClient(th.port, [
      '-servername',
      'global.azure-devices-provisioning.net',
      '-tls1_2',
      '-cipher',
      'AES128-GCM-SHA256',
    ]);
    t.ok(dps.handshakeOk, dps.output);
    const hub = await sClient(th.port, [
      '-servername',
      'myhub.azure-devices.net',
      '-tls1_2',
      '-cipher',
      'AES128-GCM-SHA256',
    ]);
    t.equal(hub.alert, 40, 'hub: handshake_failure');
    const refused = await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_CIPHER');
    t.equal(refused.endpoint, 'hub');
    t.equal(refused.alertSent, 'handshake_failure');
    t.ok(
      th
        .handshakes()
        .some(
          (h) =>
            h.endpoint === 'dps' &&
            h.outcome === 'HUBTLS_ACCEPTED' &&
            h.negotiated?.suite === 'TLS_RSA_WITH_AES_128_GCM_SHA256',
        ),
    );
  });

  await t.test('no SNI reaches the hub; TLS 1.1 is refused with protocol_version', async (t) => {
    const r = await sClient(th.port, ['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
    t.equal(r.alert, 70, r.output);
    const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION');
    t.equal(e.endpoint, 'hub');
    t.match(e.reason, /client offers TLS 1\.0–1\.1 but profile iothub-2025 accepts TLS 1\.2/);
  });
});
