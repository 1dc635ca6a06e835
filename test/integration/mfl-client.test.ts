/**
 * Issue 16: the negotiated max_fragment_length binds the client too. openssl s_client keeps its own
 * records within the agreed length (so it never trips the rule), so a raw socket replays a real
 * s_client ClientHello asking for 512 and then sends the device's real certificate in one Certificate
 * record over 512 bytes, as mbedTLS does: both engines answer record_overflow, and the event says why.
 * The same Certificate cut into 512-byte records is taken; the client then resetting is the client's
 * doing (HUBTLS_CLIENT_CLOSED) and the reason names the known mbedTLS 2.x limit.
 */
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { captureOpensslHello } from '../helpers/capture.js';
import { startRelay, type WireRecord } from '../helpers/relay.js';
import { startMiniEcho } from '../helpers/mini-echo.js';
import { sharedStore } from '../helpers/pki.js';
import { ContentType, HandshakeType } from '../../src/tls/wire/constants.js';
import { frameRecord, splitFragments } from '../../src/tls/wire/records.js';
import { handshakeMessage, vec } from '../../src/tls/wire/reader.js';
import { HandshakeError } from '../../src/tls/engines/types.js';
import { MBEDTLS2_REASSEMBLY_LIMIT } from '../../src/tls/engines/mfl.js';

const HOST = ['-servername', 'myhub.azure-devices.net', '-tls1_2'];
const RECORD_OVERFLOW_ALERT = [21, 3, 3, 0, 2, 2, 22];
const SERVER_HELLO_DONE = Buffer.from([HandshakeType.serverHelloDone, 0, 0, 0]);

/** A device certificate larger than 512 bytes, issued by the shared store, as files for s_client. */
async function deviceCert(): Promise<{ der: Buffer; certFile: string; keyFile: string }> {
  const d = await (await sharedStore()).deviceCert('mfl-device', { signer: 'ca', keyType: 'rsa' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-mfl-device-'));
  const certFile = path.join(dir, 'device.crt.pem');
  const keyFile = path.join(dir, 'device.key.pem');
  writeFileSync(certFile, d.certPem);
  writeFileSync(keyFile, d.keyPem, { mode: 0o600 });
  return { der: d.der, certFile, keyFile };
}

/**
 * Replays `hello`, waits for the server flight to end (ServerHelloDone), sends `records`, then
 * either waits for the server to close or resets; returns every byte the server sent after the flight.
 */
async function afterFlight(port: number, hello: Buffer, records: Buffer[], reset = false): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  let seen = Buffer.alloc(0);
  let after: Buffer[] | undefined;
  const closed = new Promise((r) => s.once('close', r));
  await new Promise((r) => s.once('connect', r));
  s.write(hello);
  await new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      if (after) return void after.push(d);
      seen = Buffer.concat([seen, d]);
      if (!seen.includes(SERVER_HELLO_DONE)) return;
      after = [];
      s.write(Buffer.concat(records), () => resolve());
    }),
  );
  if (reset) s.resetAndDestroy();
  const bound = setTimeout(() => s.destroy(), 10_000); // upper bound only: a server that takes the record waits forever
  await closed;
  clearTimeout(bound);
  return Buffer.concat(after ?? []);
}

const certificateMessage = (der: Buffer) => handshakeMessage(HandshakeType.certificate, vec(3, vec(3, der)));
const records = (msg: Buffer, size: number) =>
  splitFragments(msg, size).map((f) => frameRecord(ContentType.handshake, 0x0303, f));

t.test('openssl s_client keeps its own records within the agreed 512 bytes', async (t) => {
  const dev = await deviceCert();
  t.ok(dev.der.length > 512, `the device certificate is ${dev.der.length} bytes`);
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'request', after: 'close' }));
  const relay = await startRelay(t, th.port);
  const r = await sClient(relay.port, ['-maxfraglen', '512', ...HOST, '-cert', dev.certFile, '-key', dev.keyFile]);
  t.ok(r.handshakeOk, 'mutual TLS with MFL 512 completes');
  const clientRecords = relay.records.filter((x: WireRecord) => x.from === 'client' && !x.encrypted);
  t.same(
    clientRecords.filter((x) => x.length > 512).map((x) => x.length),
    [],
    `s_client's ${clientRecords.length} plaintext records are all within 512 bytes: it cannot show the rule`,
  );
  const e = await th.nextHandshake();
  t.same([e.outcome, e.engine, e.clientCert?.sha256 !== undefined], ['HUBTLS_ACCEPTED', 'openssl', true]);
});

t.test('openssl engine: a Certificate record over the agreed length gets record_overflow', async (t) => {
  const dev = await deviceCert();
  const hello = await captureOpensslHello([...HOST, '-maxfraglen', '512']);
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'request', after: 'close' }));
  const msg = certificateMessage(dev.der);

  const wire = await afterFlight(th.port, hello.raw, records(msg, msg.length));
  t.same([...wire], RECORD_OVERFLOW_ALERT, `a ${msg.length}-byte record: the client gets a fatal record_overflow`);
  const e = await th.nextHandshake();
  t.same(
    [e.engine, e.outcome, e.alertSent, e.mfl],
    ['openssl', 'HUBTLS_HANDSHAKE_FAILED', 'record_overflow', { requested: 512, mode: 'honour' }],
  );
  t.match(
    e.reason,
    /client sent a record over the negotiated max_fragment_length 512; hubtls answered record_overflow/,
  );

  const taken = await afterFlight(th.port, hello.raw, records(msg, 512), true);
  t.notOk(taken.includes(Buffer.from(RECORD_OVERFLOW_ALERT)), 'the same Certificate in 512-byte records is taken');
  const closed = await th.nextHandshake((x) => x !== e);
  t.same([closed.engine, closed.outcome, closed.alertSent], ['openssl', 'HUBTLS_CLIENT_CLOSED', undefined]);
  t.match(closed.reason, /^client (reset|closed) the connection/); // a reset may reach OpenSSL as a close
  t.ok(
    closed.reason.endsWith(
      `max_fragment_length 512 was honoured, so our Certificate came in several records: ${MBEDTLS2_REASSEMBLY_LIMIT}`,
    ),
    'the reason names the known mbedTLS 2.x limit',
  );
});

t.test('mini engine (honour): the same record gets record_overflow too', async (t) => {
  const dev = await deviceCert();
  const hello = await captureOpensslHello([...HOST, '-maxfraglen', '512']);
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'request', after: 'close' }));
  const echo = await startMiniEcho(t, th.hub);
  const msg = certificateMessage(dev.der);
  const wire = await afterFlight(echo.port, hello.raw, records(msg, msg.length));
  t.same([...wire], RECORD_OVERFLOW_ALERT, 'the client gets a fatal record_overflow');
  const [err] = await echo.settled(1);
  t.type(err, HandshakeError);
  const f = (err as HandshakeError).failure;
  t.same([f.kind, f.alertSent], ['refused', 22]);
  t.match(f.message, new RegExp(`client sent a ${msg.length}-byte record over the negotiated max_fragment_length 512`));
});
