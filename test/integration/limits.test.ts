/**
 * Connection limits (issue 9): over the global limit a connection is closed at accept, over an
 * endpoint's limit once SNI has routed it; each refusal is one HUBTLS_CONN_LIMIT handshake event,
 * each episode one `conn-limit` warning and one `conn-limit-cleared` notice.
 */
import t from 'tap';
import type net from 'node:net';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { rawConnect, tlsConnect, closed, nextNotice } from '../helpers/clients.js';
import { sClient } from '../helpers/openssl.js';

t.test('global limit: refused at accept, one warning per episode, cleared when one closes', async (t) => {
  const th = await startTestHub(t, { ...oneEndpoint('iothub-2025'), limits: { maxConnections: 3 } });
  const held: net.Socket[] = [];
  for (let i = 0; i < 3; i++) held.push(await rawConnect(th.port));
  const warned = nextNotice(th.hub.bus, 'conn-limit');
  const extra = [await rawConnect(th.port), await rawConnect(th.port)];
  await Promise.all(extra.map(closed));
  t.pass('connections over the limit are closed by the hub');
  const refused = th.handshakes().filter((e) => e.outcome === 'HUBTLS_CONN_LIMIT');
  t.equal(refused.length, 2, 'one HUBTLS_CONN_LIMIT event per refused connection');
  t.match(refused[0]!.reason, /global connection limit of 3 .*limits\.maxConnections.*--max-connections/);
  const warning = await warned;
  t.equal(warning.level, 'warn');
  t.equal(
    th.events.filter((e) => e.type === 'notice' && e.what === 'conn-limit').length,
    1,
    'one warning for the episode, not one per connection',
  );
  const cleared = nextNotice(th.hub.bus, 'conn-limit-cleared');
  held.shift()!.destroy();
  t.match((await cleared).msg, /global is back under its limit of 3/);
  const ok = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(ok.handshakeOk, 'a device connects again once under the limit');
  for (const s of held) s.destroy();
});

t.test('per-endpoint limit: refused after routing, other endpoints unaffected', async (t) => {
  const scenario = {
    name: 'limits',
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        maxConnections: 2,
        default: true,
      },
      { name: 'dps', kind: 'dps', hostnames: ['*.azure-devices-provisioning.net'], profile: 'dps', chain: 'g2' },
    ],
  };
  const th = await startTestHub(t, scenario);
  const held = [await tlsConnect(th.port), await tlsConnect(th.port)];
  const warned = nextNotice(th.hub.bus, 'conn-limit');
  await t.rejects(tlsConnect(th.port), 'the third hub connection does not complete a handshake');
  const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_CONN_LIMIT');
  t.equal(e.endpoint, 'hub');
  t.equal(e.hello?.sni, 'myhub.azure-devices.net', 'the event carries the ClientHello that was routed');
  t.match(e.reason, /connection limit of endpoint hub reached: 2 .*endpoints\[\]\.maxConnections/);
  t.match((await warned).msg, /endpoint hub reached/);
  const dps = await tlsConnect(th.port, 'global.azure-devices-provisioning.net');
  t.ok(await th.nextHandshake((h) => h.endpoint === 'dps' && h.outcome === 'HUBTLS_ACCEPTED'), 'DPS still accepts');
  dps.destroy();
  const cleared = nextNotice(th.hub.bus, 'conn-limit-cleared');
  held[0]!.destroy();
  await closed(held[0]!);
  // Closed on our side first; retry until the hub has seen it (the limit counts the hub's sockets).
  let again = await tlsConnect(th.port).catch(() => undefined);
  while (!again) again = await tlsConnect(th.port).catch(() => undefined);
  t.match((await cleared).msg, /endpoint:hub is back under its limit/);
  again.destroy();
  held[1]!.destroy();
});

t.test('a client refused with an alert frees its connection as soon as it hangs up', async (t) => {
  // The alert is followed by a 2 s timeout for clients that never close. Before, the hub did not read
  // on after the alert (the ClientHello reader had paused the socket), so it never saw the client's
  // FIN: every refused connection stayed open, and counted against limits.maxConnections, for 2 s.
  const th = await startTestHub(t, { ...oneEndpoint('iothub-2025'), limits: { maxConnections: 1 } });
  const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
  t.equal(r.alert, 70, 's_client got protocol_version and left');
  await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION');
  const started = performance.now();
  let bound: NodeJS.Timeout | undefined;
  const idle = await Promise.race([
    Promise.all(th.hub.listeners.all().map((l) => l.idle())).then(() => true),
    new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), 1000))),
  ]);
  clearTimeout(bound);
  t.ok(
    idle,
    `the hub closed the refused connection ${Math.round(performance.now() - started)} ms after the handshake event`,
  );
  const ok = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(ok.handshakeOk, 'the one connection allowed is free for the next device');
});
