/**
 * TLS 1.2 session resumption through hubtls (found by the handshake bench): a client that offers
 * the ticket from its last connection is resumed, with a client-certificate request in the
 * context, and the hub logs it as accepted. Before the fix OpenSSL answered internal_error (80),
 * "session id context uninitialized".
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { tlsConnect } from '../helpers/clients.js';

t.test('a ticket from the last connection resumes the session', async (t) => {
  const th = await startTestHub(t, 'scenarios/default.yaml');
  const first = await tlsConnect(th.port, 'myhub.azure-devices.net', { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
  const session = first.getSession(); // TLS 1.2: the ticket came within the handshake
  t.ok(session, 'the hub issued a session ticket');
  await th.nextHandshake((e) => e.outcome === 'HUBTLS_ACCEPTED');
  first.destroy();
  const again = await tlsConnect(th.port, 'myhub.azure-devices.net', {
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    session,
  });
  t.ok(again.isSessionReused(), 'the session was resumed');
  const events = () => th.handshakes().filter((e) => e.outcome === 'HUBTLS_ACCEPTED');
  const second = await th.nextHandshake((e) => e.outcome === 'HUBTLS_ACCEPTED' && e !== events()[0]);
  t.equal(second.endpoint, 'hub');
  t.equal(second.hello?.sni, 'myhub.azure-devices.net');
  t.notOk(
    th.handshakes().some((e) => e.outcome === 'HUBTLS_HANDSHAKE_FAILED'),
    'no engine failure',
  );
  again.destroy();
});
