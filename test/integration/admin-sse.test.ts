/**
 * The SSE stream over a real socket: a real handshake and a timeline action arrive as events, and
 * closing the admin app ends open streams instead of hanging on them.
 */
import t from 'tap';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';
import { openSse } from '../helpers/sse.js';

t.test('GET /events streams handshakes and notices; close ends the stream', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const { th, app, call } = await startAdminUnderTest(t);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const sse = await openSse(`${url}/events?token=${TOKEN}`);
  t.match((await sse.next((e) => e.event === 'hello')).data, { scenario: 'default' });

  await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-tls1_2', '-cipher', 'AES128-GCM-SHA256']);
  const h = await sse.next((e) => e.event === 'handshake');
  t.match(h.data, { outcome: 'HUBTLS_REFUSED_CIPHER', endpoint: 'hub', alertSent: 'handshake_failure' });

  await call('POST', '/timeline/profile', { endpoint: 'hub', profile: 'iothub-legacy' });
  t.match((await sse.next((e) => e.event === 'notice')).data, {
    what: 'profile',
    endpoint: 'hub',
    profile: 'iothub-legacy',
  });

  await app.close();
  await sse.ended;
  t.pass('app.close() ended the open stream');
});
