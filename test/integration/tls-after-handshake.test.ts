/**
 * The TLS layer under every after-TLS mode (issue 13, items 4 and 9): a client-initiated
 * renegotiation is refused on both engines and logged, and a fatal TLS error after the handshake
 * (a record header claiming 18,000 bytes) closes the connection at once with a `tls-error` event
 * instead of holding it until the after-TLS mode's own timeout.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestHub, oneEndpoint, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/events.js';
import { sClient } from '../helpers/openssl.js';
import { exportedTrust } from '../helpers/devices.js';
import { sharedStore } from '../helpers/pki.js';
import type { HubEvent, SessionEvent } from '../../src/events/types.js';

const HOST = ['-servername', 'myhub.azure-devices.net', '-tls1_2'];

const tlsSession =
  (action: string) =>
  (e: HubEvent): e is SessionEvent =>
    e.type === 'session' && e.protocol === 'tls' && e.action === action;

async function renegotiate(t: Test, th: TestHub, engine: string, args: string[]): Promise<void> {
  const r = await sClient(th.port, [...HOST, ...args], { input: 'R\n' });
  t.match(r.output, /RENEGOTIATING[\s\S]*no renegotiation/, 'the client is told no_renegotiation');
  const hs = await th.nextHandshake();
  t.equal(hs.engine, engine);
  const e = await nextEvent(th, tlsSession('renegotiation-refused'));
  t.match(
    e,
    { conn: hs.conn, endpoint: 'hub', ok: false, reason: /renegotiation refused/ },
    'logged, naming the connection',
  );
}

t.test('renegotiation is refused and logged on the OpenSSL engine', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after: 'hold' }));
  await renegotiate(t, th, 'openssl', []);
});

t.test('renegotiation is refused and logged on the mini engine', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none', after: 'hold' }));
  await renegotiate(t, th, 'mini', ['-maxfraglen', '512']);
});

/**
 * A TLS 1.2 client that, once connected, writes a record header claiming 18,000 bytes (more than
 * OpenSSL takes) and the bytes, on the TCP socket under its TLS stream. Resolves when the hub closes it.
 */
async function oversizedRecord(port: number): Promise<number> {
  const raw = net.connect(port, '127.0.0.1');
  await once(raw, 'connect');
  const s = tls.connect({ socket: raw, servername: 'myhub.azure-devices.net', rejectUnauthorized: false });
  s.on('error', () => {}); // the hub's record_overflow alert
  await once(s, 'secureConnect');
  const started = Date.now();
  const closed = once(raw, 'close');
  raw.write(Buffer.concat([Buffer.from([23, 3, 3, 18000 >> 8, 18000 & 0xff]), Buffer.alloc(18000)]));
  await closed;
  return Date.now() - started;
}

/** Forward mode to a real upstream that accepts (its chain trusted through the exported G2 root). */
async function forwardMode(t: Test): Promise<object> {
  const [trust, chain] = await Promise.all([
    exportedTrust(),
    (await sharedStore()).serve('g2-tls01', { kind: 'iothub' }),
  ]);
  const ca = path.join(trust.dir, 'upstream-ca-g2.pem');
  writeFileSync(ca, trust.g2);
  const up = tls.createServer({ cert: chain.certPem, key: chain.keyPem }, (s) => s.on('error', () => {}));
  await new Promise<void>((resolve) => up.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => up.close(() => resolve())));
  return { mode: 'forward', upstream: { host: '127.0.0.1', port: (up.address() as net.AddressInfo).port, ca } };
}

t.test('a fatal TLS error after the handshake closes at once and is logged, in every after-TLS mode', async (t) => {
  const modes: Array<[string, object | string]> = [
    ['mqtt', 'mqtt'],
    ['https', 'https'],
    ['hold', 'hold'],
    ['forward', await forwardMode(t)],
  ];
  for (const [name, after] of modes) {
    await t.test(name, async (t) => {
      const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after }), {
        handshakeTimeoutMs: 20000,
      });
      const ms = await oversizedRecord(th.port);
      t.ok(ms < 5000, `closed ${ms} ms after the record (the mode's own wait is 20 s or more)`);
      const hs = await th.nextHandshake();
      const e = await nextEvent(th, tlsSession('tls-error'));
      t.match(e, { conn: hs.conn, ok: false, reason: /fatal TLS error after the handshake.*packet length too long/ });
      t.equal(th.events.filter(tlsSession('tls-error')).length, 1, 'reported once');
    });
  }
});
