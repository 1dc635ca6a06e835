/**
 * Issue 4: a peer that sends garbage, half a ClientHello, plain MQTT or nothing gets an alert or a
 * close after the handshake timeout, is logged with its own outcome, and never stalls the hub.
 * A client that rejects our chain is logged with the alert it sent.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { captureOpensslHello } from '../helpers/capture.js';
import { sharedStore } from '../helpers/pki.js';

/** Sends `bytes`, keeps the socket open, and returns what the server sent before it closed. */
async function probe(port: number, bytes: Buffer): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (d) => got.push(d));
  s.on('error', () => {});
  await once(s, 'connect');
  if (bytes.length) s.write(bytes);
  await once(s, 'close');
  return Buffer.concat(got);
}

t.test('misbehaving peers', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025'), { handshakeTimeoutMs: 400 });
  const hello = (await captureOpensslHello(['-servername', 'myhub.azure-devices.net'])).raw;
  const outcomeOf = async (bytes: Buffer) => {
    const before = th.handshakes().length;
    const reply = await probe(th.port, bytes);
    const e = await th.nextHandshake((h) => th.handshakes().indexOf(h) >= before);
    return { reply, e };
  };

  await t.test('nothing at all: closed after the handshake timeout', async (t) => {
    const { reply, e } = await outcomeOf(Buffer.alloc(0));
    t.equal(reply.length, 0);
    t.equal(e.outcome, 'HUBTLS_HELLO_TIMEOUT');
    t.match(e.reason, /within 400 ms/);
  });
  await t.test('half a ClientHello: closed after the timeout', async (t) => {
    const { e } = await outcomeOf(hello.subarray(0, Math.floor(hello.length / 2)));
    t.equal(e.outcome, 'HUBTLS_HELLO_TIMEOUT');
  });
  await t.test('plain MQTT CONNECT on the TLS port: not TLS, closed', async (t) => {
    const connect = Buffer.from('101000044d5154540402003c0004746573740000', 'hex');
    const { reply, e } = await outcomeOf(connect);
    t.equal(reply.length, 0);
    t.equal(e.outcome, 'HUBTLS_NOT_TLS');
    t.match(e.reason, /not a TLS handshake record/);
  });
  await t.test('a ClientHello with a broken length: decode_error alert', async (t) => {
    const broken = Buffer.from(hello);
    broken.writeUIntBE(broken.readUIntBE(6, 3) - 10, 6, 3);
    const { reply, e } = await outcomeOf(broken);
    t.same([...reply], [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 50], 'fatal decode_error alert record');
    t.equal(e.outcome, 'HUBTLS_MALFORMED_HELLO');
  });
  await t.test('an oversized record: record_overflow alert', async (t) => {
    const { reply, e } = await outcomeOf(Buffer.from([0x16, 0x03, 0x01, 0x48, 0x00]));
    t.equal(reply.at(-1), 22);
    t.equal(e.outcome, 'HUBTLS_MALFORMED_HELLO');
  });
  await t.test('the hub still serves a real client', async (t) => {
    t.ok((await sClient(th.port, ['-servername', 'myhub.azure-devices.net'])).handshakeOk);
  });
});

t.test('a client that rejects an expired leaf is logged with certificate_expired', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { chain: 'expired' }));
  const store = await sharedStore();
  const root = await store.root('digicert-g2');
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/hubtls-root-');
  writeFileSync(`${dir}/g2.pem`, root.certPem);
  const r = await sClient(th.port, [
    '-servername',
    'myhub.azure-devices.net',
    '-CAfile',
    `${dir}/g2.pem`,
    '-verify_return_error',
  ]);
  t.notOk(r.handshakeOk);
  t.match(r.output, /certificate has expired/);
  const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
  t.equal(e.alertReceived, 'certificate_expired');
  t.equal(e.chain, undefined, 'no chain field: the handshake did not complete');
});
