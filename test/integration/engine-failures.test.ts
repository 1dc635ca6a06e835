/**
 * Issue 12: a client whose bytes go bad after the ClientHello, on the mini engine, is reported as
 * HUBTLS_MALFORMED_HELLO with the alert the engine sent (it used to end as HUBTLS_HANDSHAKE_FAILED).
 * A raw socket replays a real ClientHello that routes to the mini engine (max_fragment_length on a
 * profile that ignores it), waits for the server flight, then sends a broken second flight.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { captureOpensslHello } from '../helpers/capture.js';
import { ContentType, HandshakeType } from '../../src/tls/wire/constants.js';
import { frameRecord } from '../../src/tls/wire/records.js';
import { handshakeMessage } from '../../src/tls/wire/reader.js';

/** Sends `hello`, waits for the server's first bytes, sends `second`, and returns all the server sent. */
async function exchange(port: number, hello: Buffer, second: Buffer): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(hello);
  await once(s, 'data');
  s.write(second);
  await once(s, 'close');
  return Buffer.concat(got);
}

t.test('mini engine: a malformed second flight is a malformed hello, with the alert sent', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after: 'close' }));
  const hello = await captureOpensslHello(['-servername', 'myhub.azure-devices.net', '-tls1_2', '-maxfraglen', '512']);
  const cases = [
    {
      what: 'an empty ClientKeyExchange',
      bytes: frameRecord(ContentType.handshake, 0x0303, handshakeMessage(HandshakeType.clientKeyExchange)),
      alert: 'decode_error',
      code: 50,
      reason: /^the mini TLS engine found the client's handshake malformed: decode_error: /,
    },
    {
      what: 'a record longer than 2^14+2048',
      bytes: Buffer.from([ContentType.handshake, 3, 3, 0x48, 0x01]),
      alert: 'record_overflow',
      code: 22,
      reason: /malformed: record of 18433 bytes exceeds 2\^14\+2048$/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const wire = await exchange(th.port, hello.raw, c.bytes);
    t.same([...wire.subarray(-7)], [21, 3, 3, 0, 2, 2, c.code], `${c.what}: the client gets ${c.alert}`);
    const e = await th.nextHandshake((ev) => th.handshakes().indexOf(ev) === i);
    t.same([e.engine, e.outcome, e.alertSent], ['mini', 'HUBTLS_MALFORMED_HELLO', c.alert], c.what);
    t.match(e.reason, c.reason);
  }
});

t.test('openssl engine: a client that resets mid-handshake is HUBTLS_CLIENT_CLOSED, not our failure', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after: 'close' }));
  const hello = await captureOpensslHello(['-servername', 'myhub.azure-devices.net', '-tls1_2']);
  const s = net.connect(th.port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(hello.raw);
  await once(s, 'data'); // the server's flight: OpenSSL now waits for the client's
  s.resetAndDestroy();
  const h = await th.nextHandshake();
  t.equal(h.engine, 'openssl');
  t.equal(h.outcome, 'HUBTLS_CLIENT_CLOSED');
  t.match(h.reason, /^client reset the connection \(TCP RST, ECONNRESET\) during the handshake without an alert/);
});

t.test('mini engine: a client that resets mid-handshake is HUBTLS_CLIENT_CLOSED too', async (t) => {
  // max_fragment_length on a profile that ignores it routes to the mini engine (as mbedTLS 2.x asking for 1024 would)
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after: 'close' }));
  const hello = await captureOpensslHello(['-servername', 'myhub.azure-devices.net', '-tls1_2', '-maxfraglen', '1024']);
  const s = net.connect(th.port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(hello.raw);
  await once(s, 'data'); // the mini engine's flight: it now waits for the client's
  s.resetAndDestroy();
  const h = await th.nextHandshake();
  t.same([h.engine, h.outcome, h.alertSent], ['mini', 'HUBTLS_CLIENT_CLOSED', undefined]);
  t.match(h.reason, /^client reset the connection \(TCP RST, ECONNRESET\) during the handshake without an alert/);
});
