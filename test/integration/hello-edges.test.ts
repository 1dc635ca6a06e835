/**
 * ClientHellos at the edges of the RFCs, hand-built (issue 13, items 5 and 10): a hello that ends
 * after compression_methods (no extensions block, RFC 5246 §7.4.1.2) is served at TLS 1.0–1.2,
 * and SNI bytes 0x80–0xFF are logged as they came (\xNN) and route by no host name.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { handshakeMessage, u16, vec } from '../../src/tls/wire/reader.js';
import { frameRecord } from '../../src/tls/wire/records.js';

/** ECDHE-RSA and RSA key exchange suites with AES-GCM and CBC, as an old stack offers them. */
const SUITES = [0xc02f, 0xc030, 0xc013, 0xc014, 0x009c, 0x002f, 0x0035];

function clientHello(extensions?: Buffer): Buffer {
  const body = [u16(0x0303), Buffer.alloc(32, 7), vec(1), vec(2, ...SUITES.map(u16)), vec(1, Buffer.from([0]))];
  if (extensions) body.push(vec(2, extensions));
  return frameRecord(22, 0x0301, handshakeMessage(1, ...body));
}

function sniExtension(name: Buffer): Buffer {
  return Buffer.concat([u16(0), vec(2, vec(2, Buffer.from([0]), vec(2, name)))]);
}

/** Sends the hello; resolves with the first record's type and first body byte (ServerHello: 22, 2; alert: 21, level). */
async function send(port: number, bytes: Buffer): Promise<{ type: number; first: number; alert?: number }> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(bytes);
  let got = Buffer.alloc(0);
  while (got.length < 7) {
    const chunk = (await Promise.race([once(s, 'data'), once(s, 'close').then(() => [null])]))[0] as Buffer | null;
    if (!chunk) break;
    got = Buffer.concat([got, chunk]);
  }
  s.destroy();
  return { type: got[0] ?? -1, first: got[5] ?? -1, alert: got[0] === 21 ? got[6] : undefined };
}

t.test('a hello without extensions: served at TLS 1.2 by the default endpoint', async (t) => {
  // iothub-legacy: the hubs old stacks reach. (iothub-2025 accepts it by policy but OpenSSL finds
  // no shared cipher: its ECDHE-RSA suites need a signature algorithm, and without the extension that is SHA-1.)
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none', after: 'close' }));
  const r = await send(th.port, clientHello());
  t.same([r.type, r.first], [22, 2], 'the hub answers with a ServerHello');
  const hs = await th.nextHandshake();
  t.not(hs.outcome, 'HUBTLS_MALFORMED_HELLO');
  t.match(hs, { endpoint: 'hub' });
});

t.test(
  'a hello without extensions at a TLS 1.3-only endpoint: refused as a policy matter, not malformed',
  async (t) => {
    const th = await startTestHub(t, oneEndpoint('iothub-tls13-preview', { clientCert: 'none', after: 'close' }));
    const r = await send(th.port, clientHello());
    t.equal(r.type, 21, 'an alert');
    t.not(r.alert, 50, 'not decode_error');
    const hs = await th.nextHandshake();
    t.notOk(
      ['HUBTLS_ACCEPTED', 'HUBTLS_MALFORMED_HELLO'].includes(hs.outcome),
      `refused: ${hs.outcome} — ${hs.reason}`,
    );
  },
);

t.test('SNI bytes 0x80-0xFF are logged as they came and match no host name', async (t) => {
  const th = await startTestHub(t, {
    name: 'sni-bytes',
    endpoints: [
      {
        name: 'other',
        kind: 'iothub',
        hostnames: ['other.example.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        clientCert: 'none',
        after: 'close',
      },
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        clientCert: 'none',
        after: 'close',
      },
    ],
  });
  // 0xE1 with its top bit cleared is "a": "a.azure-devices.net" would have reached 'hub'.
  const name = Buffer.concat([Buffer.from([0xe1, 0x5c]), Buffer.from('.azure-devices.net')]);
  await send(th.port, clientHello(sniExtension(name)));
  const hs = await th.nextHandshake();
  t.equal(hs.hello?.sni, '\\xe1\\x5c.azure-devices.net', 'every byte visible; the backslash escaped too');
  t.equal(hs.endpoint, 'other', 'routed to the default endpoint, not by a look-alike name');
});
