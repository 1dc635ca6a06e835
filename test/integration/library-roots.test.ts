/**
 * Scenario library, root and chain stories: real clients (openssl s_client with the exported
 * stand-in roots, Node tls with a device's trust or pins) see each story, and hubtls logs it.
 */
import t from 'tap';
import { once } from 'node:events';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
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
  t.equal(both.verifyCode, 0, 'a device trusting Baltimore and G2 keeps working');
  const g2 = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED' && h.chain?.id === 'g2');
  t.match(g2.chain?.root, /DigiCert Global Root G2/);
});
