/**
 * A polite close is not a rejected chain (src/after/silent-close.ts). A client that sends
 * close_notify in the same TCP read as its Finished (`openssl s_client </dev/null` with TLS 1.3, a
 * resumed TLS 1.2 Node client that end()s at once) moves no TCP byte after the handshake; it was
 * judged HUBTLS_CLIENT_REJECTED_CHAIN until the TLS stream's end was told apart from a bare FIN.
 * A client that hangs up without close_notify (Node's tls, chain not verified, destroyed at
 * secureConnect) still is one. Both engines: OpenSSL and the mini engine (routed there by a
 * record fault, or by max_fragment_length on a profile that ignores it).
 *
 * Ordering, not timers: each test ends with one rejecting client started after the polite ones
 * have left; its verdict is awaited, and by then the hub has long judged the polite closes.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { startTestHub, oneEndpoint, type TestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { nextEvent } from '../helpers/events.js';
import type { HubEvent, VerdictEvent } from '../../src/events/types.js';

const HUB = 'myhub.azure-devices.net';
const isVerdict = (e: HubEvent): e is VerdictEvent => e.type === 'verdict';

/**
 * A TCP relay that makes the bundled read certain rather than a race: once the server has answered
 * the ClientHello, it holds what the client sends (its Finished, then its close_notify) until the
 * client's FIN, and hands it to the hub in one write, then the FIN.
 */
async function bundlingRelay(t: Test, target: number): Promise<number> {
  const server = net.createServer((client) => {
    const hub = net.connect(target, '127.0.0.1');
    let answered = false;
    const held: Buffer[] = [];
    hub.on('data', (d: Buffer) => ((answered = true), client.write(d)));
    client.on('data', (d: Buffer) => (answered ? held.push(d) : hub.write(d)));
    client.on('end', () => hub.end(Buffer.concat(held)));
    hub.on('end', () => client.end());
    for (const s of [client, hub]) s.on('error', () => (client.destroy(), hub.destroy()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** What a client that rejects our chain after the handshake looks like on the wire: a FIN, no byte. */
async function dropAtSecureConnect(port: number, over: tls.ConnectionOptions = {}): Promise<void> {
  const s = tls.connect({ host: '127.0.0.1', port, servername: HUB, rejectUnauthorized: false, ...over });
  s.on('error', () => {});
  await once(s, 'secureConnect');
  s.destroy();
}

/** A TLS 1.2 client resuming the session of its last connection and end()ing at once. */
async function resumedAndEnded(t: Test, port: number): Promise<void> {
  const opts = { host: '127.0.0.1', port, servername: HUB, rejectUnauthorized: false, maxVersion: 'TLSv1.2' } as const;
  const first = tls.connect(opts);
  await once(first, 'secureConnect');
  const session = first.getSession();
  first.end();
  await once(first, 'close');
  const again = tls.connect({ ...opts, session });
  await once(again, 'secureConnect');
  t.ok(again.isSessionReused(), 'the session was resumed');
  again.end(); // its Finished and close_notify leave together
  await once(again, 'close');
}

/** The accepted connections since `from`, and then the single rejection the last client causes. */
async function judge(t: Test, th: TestHub, from: number, polite: number, reject: () => Promise<void>): Promise<void> {
  const accepted = th.handshakes().filter((h) => th.events.indexOf(h) >= from);
  t.equal(accepted.length, polite, `${polite} polite connections completed the handshake`);
  await reject();
  const verdict = await nextEvent(th, isVerdict, 10_000, from);
  t.match(verdict, { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', inferred: true }, 'the silent client is still judged');
  t.notOk(
    accepted.some((h) => h.conn === verdict.conn),
    'the verdict is the silent client’s, not a polite one’s',
  );
  const verdicts = th.events.slice(from).filter(isVerdict);
  t.same(
    verdicts.map((v) => v.conn),
    [verdict.conn],
    'no polite close was taken for a rejected chain',
  );
}

t.test('OpenSSL engine, TLS 1.3: s_client </dev/null closes politely', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-tls13-preview', { eccChain: 'ecc-g3', after: 'mqtt' }));
  const from = th.events.length;
  const relay = await bundlingRelay(t, th.port);
  const N = 4;
  for (let i = 0; i < N; i++) {
    // Straight to the hub the close_notify may come in a read of its own; through the relay it
    // always shares the Finished's (as it did for `hubtls qualify`'s tls-13-sni, by chance).
    const r = await sClient(i % 2 ? th.port : relay, ['-tls1_3', '-servername', HUB]);
    t.equal(r.protocol, 'TLSv1.3', `s_client ${i + 1}: TLS 1.3`);
  }
  await judge(t, th, from, N, () => dropAtSecureConnect(th.port, { maxVersion: 'TLSv1.2' }));
  t.ok(
    th.handshakes().every((h) => h.engine === 'openssl'),
    'all on the OpenSSL engine',
  );
});

t.test('OpenSSL engine, TLS 1.2: a resumed client that end()s at once; s_client', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { after: 'mqtt' }));
  const from = th.events.length;
  await resumedAndEnded(t, th.port);
  await resumedAndEnded(t, th.port);
  const r = await sClient(th.port, ['-tls1_2', '-servername', HUB]);
  t.equal(r.protocol, 'TLSv1.2');
  await judge(t, th, from, 5, () => dropAtSecureConnect(th.port, { maxVersion: 'TLSv1.2' }));
});

t.test('mini engine: s_client with max_fragment_length on a profile that ignores it', async (t) => {
  // iothub-legacy ignores max_fragment_length and only the mini engine can: s_client -maxfraglen lands there.
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { after: 'mqtt' }));
  const from = th.events.length;
  for (let i = 0; i < 3; i++) {
    const r = await sClient(th.port, ['-tls1_2', '-maxfraglen', '512', '-servername', HUB]);
    t.equal(r.protocol, 'TLSv1.2');
  }
  // Node cannot ask for max_fragment_length: the silent client is served by OpenSSL here (mini's
  // silent client is in the next test).
  await judge(t, th, from, 3, () => dropAtSecureConnect(th.port, { maxVersion: 'TLSv1.2' }));
  t.same(
    th.handshakes().map((h) => h.engine),
    ['mini', 'mini', 'mini', 'openssl'],
    's_client on mini; the silent Node client on OpenSSL',
  );
});

t.test('mini engine through the tiny-records fault: a Node client that end()s, one that drops', async (t) => {
  const tiny = [{ fault: 'tiny-records', params: { size: 1 } }];
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { after: 'mqtt', faults: tiny }));
  const from = th.events.length;
  const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: false });
  await once(s, 'secureConnect');
  s.end(); // close_notify, then FIN
  await once(s, 'close');
  await judge(t, th, from, 1, () => dropAtSecureConnect(th.port));
  t.same(
    th.handshakes().map((h) => h.engine),
    ['mini', 'mini'],
    'both on the mini engine',
  );
});
