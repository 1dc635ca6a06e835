import t from 'tap';
import { parseClientHello, ClientHelloParseError } from '../../src/tls/clienthello.js';
import { captureOpensslHello } from '../helpers/capture.js';

t.test('a real openssl ClientHello, summarised', async (t) => {
  const raw = await captureOpensslHello([
    '-servername',
    'myhub.azure-devices.net',
    '-tls1_2',
    '-cipher',
    'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA',
    '-maxfraglen',
    '1024',
    '-alpn',
    'mqtt',
    '-curves',
    'P-384:X25519',
  ]);
  const h = await parseClientHello(raw.message, raw.raw.length);
  t.equal(h.sni, 'myhub.azure-devices.net');
  t.same(h.versions, ['TLSv1', 'TLSv1.1', 'TLSv1.2'], 'no supported_versions: everything up to legacy_version');
  t.notOk(h.explicitVersions);
  t.same(
    h.suites.filter((s) => !s.includes('EMPTY_RENEGOTIATION')),
    ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  );
  t.same(h.groups, ['secp384r1', 'x25519']);
  t.same(h.alpn, ['mqtt']);
  t.equal(h.maxFragmentLength, 1024);
  t.match(h.ja3, /^[0-9a-f]{32}$/);
  t.equal(h.bytes, raw.raw.length);
});

t.test('TLS 1.3 client lists its versions explicitly', async (t) => {
  const raw = await captureOpensslHello(['-tls1_3']);
  const h = await parseClientHello(raw.message);
  t.same(h.versions, ['TLSv1.3']);
  t.ok(h.explicitVersions);
  t.equal(h.sni, undefined, 'an IP address is not sent as SNI');
});

/** Where the extensions block starts: a hello cut exactly there is complete (RFC 5246 §7.4.1.2). */
function extensionsOffset(msg: Buffer): number {
  let at = 4 + 2 + 32;
  at += 1 + msg[at]!;
  at += 2 + msg.readUInt16BE(at);
  return at + 1 + msg[at]!;
}

t.test(
  'every truncation of a real ClientHello is a parse error but the one ending after compression_methods',
  async (t) => {
    const raw = await captureOpensslHello(['-servername', 'x.azure-devices.net']);
    const msg = raw.message;
    const boundary = extensionsOffset(msg);
    const cut = (n: number) => {
      const m = Buffer.from(msg.subarray(0, n));
      m.writeUIntBE(n - 4, 1, 3);
      return m;
    };
    let errors = 0;
    let cuts = 0;
    for (let n = 4; n < msg.length; n += 7) {
      if (n === boundary) continue;
      cuts++;
      if ((await parseClientHello(cut(n)).catch((x) => x)) instanceof ClientHelloParseError) errors++;
    }
    t.ok(errors > 0 && errors === cuts, `${errors} truncations all rejected`);
    t.same((await parseClientHello(cut(boundary))).extensions, [], 'no extensions block: a complete hello');
  },
);
