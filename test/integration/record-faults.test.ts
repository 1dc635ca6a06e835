/**
 * Record-level faults on the mini engine, against real clients: records over the agreed
 * max_fragment_length (the client must answer record_overflow), a server flight cut into 1-byte
 * records (clients must reassemble), a bad ServerKeyExchange signature (clients must refuse with
 * decrypt_error), and the oversized chain split at 2^14 where MFL is ignored.
 */
import t from 'tap';
import tls from 'node:tls';
import { once } from 'node:events';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';
import { startMiniEcho } from '../helpers/mini-echo.js';
import { startRelay } from '../helpers/relay.js';
import { HandshakeError } from '../../src/tls/engines/types.js';
import { insecureAcceptance } from '../../src/tls/record-faults/verdict.js';
import { gnutlsCli } from '../helpers/gnutls.js';

const HOST = ['-servername', 'myhub.azure-devices.net'];
const receivedAlert = (x: unknown) => (x instanceof HandshakeError ? x.failure.alertReceived : undefined);

const gnutls = gnutlsCli;

t.test('oversize: records over the agreed max_fragment_length draw record_overflow', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-ecc-preview', { clientCert: 'none' }));
  const echo = await startMiniEcho(t, th.hub, { oversize: 16384 });
  const relay = await startRelay(t, echo.port);
  const r = await sClient(relay.port, [...HOST, '-maxfraglen', '512', '-tlsextdebug']);
  t.notOk(r.handshakeOk, 's_client refuses the handshake');
  t.match(r.output, /max fragment length/, 'the extension was echoed (512 agreed)');
  t.ok(
    relay.records.some((x) => x.from === 'server' && x.length > 512),
    'a server record over 512 bytes was on the wire',
  );
  const [first] = await echo.settled(1);
  t.equal(receivedAlert(first), 22, 'the engine received record_overflow(22)');
});

t.test('tiny records: a flight in 1-byte records is reassembled by every client', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none' }));
  const echo = await startMiniEcho(t, th.hub, { tinyHandshake: 1 });
  const relay = await startRelay(t, echo.port);
  t.ok((await sClient(relay.port, HOST)).handshakeOk, 'openssl s_client');
  const flight = relay.records.filter((x) => x.from === 'server' && x.type === 22 && !x.encrypted);
  t.ok(flight.length > 1000 && flight.every((x) => x.length === 1), `${flight.length} one-byte handshake records`);
  const s = tls.connect({ port: echo.port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  await once(s, 'secureConnect');
  t.pass("Node's tls client");
  s.destroy();
  if (needTool(t, 'gnutls-cli', 'gnutls-bin'))
    t.match(await gnutls(echo.port), /Handshake was completed/, 'gnutls-cli');
});

t.test('bad signature: clients refuse a ServerKeyExchange that does not verify', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none' }));
  const echo = await startMiniEcho(t, th.hub, { badSignature: true });
  const r = await sClient(echo.port, [...HOST, '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
  t.notOk(r.handshakeOk, 'openssl s_client refuses');
  await echo.settled(1); // s_client's connection is the first result, Node's the second
  const s = tls.connect({
    port: echo.port,
    host: '127.0.0.1',
    rejectUnauthorized: false,
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
  });
  const err = (await once(s, 'error').catch((e: unknown) => [e]))[0] as Error;
  t.comment(err.message);
  const openssl = await echo.settled(2);

  if (needTool(t, 'gnutls-cli', 'gnutls-bin'))
    t.notMatch(await gnutls(echo.port, ['--priority', 'NORMAL:-RSA']), /Handshake was completed/, 'gnutls-cli refuses');
  t.same(openssl.map(receivedAlert), [51, 51], 'OpenSSL clients answer decrypt_error(51)');
  t.match(
    insecureAcceptance({ badSignature: true }),
    [/INSECURE: .*signature/],
    'a client that connected anyway would be flagged',
  );
});

t.test('oversized chain where MFL is ignored: split at 2^14; a 4 KB device fails, others pass', async (t) => {
  const th = await startTestHub(
    t,
    oneEndpoint('iothub-2025', { clientCert: 'none', after: 'close', chain: 'oversized-chain' }),
  );
  const relay = await startRelay(t, th.port);
  t.ok(
    (await sClient(relay.port, [...HOST, '-maxfraglen', '4096'])).handshakeOk,
    'a client without a small buffer connects',
  );
  const flight = relay.records.filter((x) => x.from === 'server' && x.type === 22 && !x.encrypted).map((x) => x.length);
  t.ok(
    flight.length >= 2 && flight[0] === 16384 && flight.every((n) => n <= 16384),
    `flight records ${flight.join(', ')}: full 2^14 records, none larger`,
  );
  const device = await startRelay(t, th.port, { bufferLimit: 4096 });
  t.notOk((await sClient(device.port, [...HOST, '-maxfraglen', '4096'])).handshakeOk, 'the 4 KB device does not');
  t.match(device.deviceErrors, [/16384 bytes .* 4096-byte receive buffer/]);
});

t.test('wrong host name: refused by a checking client, flagged when accepted', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none', chain: 'wrong-host' }));
  const strict = await sClient(th.port, [
    ...HOST,
    '-maxfraglen',
    '512',
    '-verify_hostname',
    'myhub.azure-devices.net',
    '-verify_return_error',
    '-partial_chain',
    '-CAfile',
    '/dev/null',
  ]);
  t.notOk(strict.handshakeOk, 'a client checking names refuses');
  const lax = await sClient(th.port, [...HOST, '-maxfraglen', '512']);
  t.ok(lax.handshakeOk, 'a client that does not check connects');
  t.match(insecureAcceptance(undefined, 'wrong-host'), [/INSECURE: .*host name/], 'and would be flagged');
});
