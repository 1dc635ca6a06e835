/**
 * Issue 7, max_fragment_length on the wire: a TCP relay reads every record header between
 * openssl s_client and the hub. `honour` profiles echo the extension and keep every record within
 * the agreed length; `ignore` profiles (non-preview hubs) do not echo it and send the whole server
 * flight in one record. A device with a 4 KB receive buffer passes the first and fails the second,
 * and the handshake event says why.
 */
import t from 'tap';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { startRelay, MAX_OVERHEAD, type WireRecord } from '../helpers/relay.js';
import { startMiniEcho } from '../helpers/mini-echo.js';

const MFL_ECHOED = /TLS server extension "max fragment length" \(id=1\), len=1/;
const serverRecords = (records: WireRecord[]) => records.filter((r) => r.from === 'server');
const fits = (r: WireRecord, limit: number) => r.length <= limit + (r.encrypted ? MAX_OVERHEAD : 0);

t.test('honour (iothub-ecc-preview): echoed, and no record over the agreed length', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'none', after: 'close' }));
  for (const size of [512, 1024, 2048, 4096]) {
    const relay = await startRelay(t, th.port);
    const r = await sClient(relay.port, [
      '-maxfraglen',
      String(size),
      '-tlsextdebug',
      '-servername',
      'myhub.azure-devices.net',
    ]);
    t.ok(r.handshakeOk, `${size}: handshake`);
    t.match(r.output, MFL_ECHOED, `${size}: s_client sees max_fragment_length echoed`);
    const recs = serverRecords(relay.records);
    t.same(
      recs.filter((x) => !fits(x, size)).map((x) => x.length),
      [],
      `${size}: all ${recs.length} server records within ${size} bytes of plaintext`,
    );
    t.ok(
      recs.filter((x) => x.type === 22 && !x.encrypted).length > 1 || size >= 4096,
      `${size}: the certificate flight was cut into several records`,
    );
  }
  const events = th.handshakes();
  t.same(
    events.map((e) => [e.engine, e.mfl?.mode]),
    Array(4).fill(['openssl', 'honour']),
  );
  t.match(events[0]!.reason, /max_fragment_length 512 honoured/);
});

t.test('ignore (iothub-2025): not echoed, the flight comes as one record over the requested length', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { clientCert: 'none', after: 'close' }));
  const relay = await startRelay(t, th.port);
  const r = await sClient(relay.port, ['-maxfraglen', '512', '-tlsextdebug', '-servername', 'myhub.azure-devices.net']);
  t.ok(r.handshakeOk, 'the client still completes the handshake');
  t.notMatch(r.output, MFL_ECHOED, 's_client does not see max_fragment_length in the ServerHello');
  const flight = serverRecords(relay.records).filter((x) => x.type === 22 && !x.encrypted);
  t.comment(`server handshake records: ${flight.map((x) => x.length).join(', ')}`);
  t.equal(flight.length, 1, 'ServerHello through ServerHelloDone in one record');
  t.ok(
    flight[0]!.length > 512 && flight[0]!.length <= 16384,
    `that record carries ${flight[0]!.length} bytes: over 512, within 2^14`,
  );
  const e = await th.nextHandshake();
  t.same([e.outcome, e.engine, e.mfl], ['HUBTLS_ACCEPTED', 'mini', { requested: 512, mode: 'ignore' }]);
  t.match(e.reason, /max_fragment_length 512 ignored/);
});

t.test('a device with a 4 KB receive buffer: passes where MFL is honoured, fails where it is ignored', async (t) => {
  // The cross-signed chain (two RSA-4096 CA certificates) makes the server flight larger than 4 KB.
  const over = { clientCert: 'none', after: 'close', chain: 'g2-cross-msrsa2017' };
  const device = ['-maxfraglen', '4096', '-servername', 'myhub.azure-devices.net'];
  const preview = await startTestHub(t, oneEndpoint('iothub-ecc-preview', over));
  const ok = await startRelay(t, preview.port, { bufferLimit: 4096 });
  t.ok((await sClient(ok.port, device)).handshakeOk, 'honour: the device connects');
  t.same(ok.deviceErrors, [], 'honour: no record exceeded its buffer');
  t.equal((await preview.nextHandshake()).outcome, 'HUBTLS_ACCEPTED');

  const hub = await startTestHub(t, oneEndpoint('iothub-2025', over));
  const bad = await startRelay(t, hub.port, { bufferLimit: 4096 });
  t.notOk((await sClient(bad.port, device)).handshakeOk, 'ignore: the device cannot connect');
  t.match(bad.deviceErrors, [/record of \d+ bytes from the server exceeds the 4096-byte receive buffer/]);
  const e = await hub.nextHandshake();
  t.same([e.outcome, e.alertReceived, e.engine], ['HUBTLS_HANDSHAKE_FAILED', 'record_overflow', 'mini']);
  t.match(e.reason, /asked for max_fragment_length 4096 and profile iothub-2025 ignores it/, 'the event explains why');
});

t.test('the mini engine honours max_fragment_length too, application data included', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'none' }));
  const echo = await startMiniEcho(t, th.hub);
  const relay = await startRelay(t, echo.port);
  const r = await sClient(
    relay.port,
    ['-maxfraglen', '512', '-tlsextdebug', '-servername', 'myhub.azure-devices.net'],
    { input: 'x'.repeat(3000) + '\n' },
  );
  t.ok(r.handshakeOk, 'handshake');
  t.match(r.output, MFL_ECHOED, 'echoed by the mini engine');
  const recs = serverRecords(relay.records);
  t.ok(recs.filter((x) => x.type === 23).length >= 6, 'the 3 KB echo came back in several application-data records');
  t.same(
    recs.filter((x) => !fits(x, 512)).map((x) => x.length),
    [],
    `all ${recs.length} server records within 512 bytes of plaintext`,
  );
});
