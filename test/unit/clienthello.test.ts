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

t.test('every truncation of a real ClientHello is a parse error, never a hang', async (t) => {
  const raw = await captureOpensslHello(['-servername', 'x.azure-devices.net']);
  const msg = raw.message;
  let errors = 0;
  for (let cut = 4; cut < msg.length; cut += 7) {
    const m = Buffer.from(msg.subarray(0, cut));
    m.writeUIntBE(cut - 4, 1, 3);
    const e = await parseClientHello(m).catch((x) => x);
    if (e instanceof ClientHelloParseError) errors++;
  }
  t.ok(errors > 0 && errors === Math.ceil((msg.length - 4) / 7), `${errors} truncations all rejected`);
});
