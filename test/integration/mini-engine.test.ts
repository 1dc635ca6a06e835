/**
 * The mini engine against real clients: every TLS 1.0–1.2 suite and version of the legacy and 2025
 * tables with openssl s_client (routed to mini by max_fragment_length on an `ignore` profile),
 * 3DES with gnutls-cli by the scenario clock, Node's tls with data both ways, and a client
 * certificate exposed as OpenSSL exposes it.
 */
import t from 'tap';
import tls from 'node:tls';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { pool } from '../helpers/pool.js';
import { needTool } from '../helpers/tools.js';
import { sharedStore } from '../helpers/pki.js';
import { startMiniEcho } from '../helpers/mini-echo.js';
import { suiteByName } from '../../src/profiles/suites.js';
import { getProfile } from '../../src/profiles/registry.js';
import { gnutlsCli } from '../helpers/gnutls.js';

const BASE = ['-servername', 'myhub.azure-devices.net', '-maxfraglen', '512'];
const FLAG = { TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2' } as const;

function probesFor(profileId: string): Array<{ version: keyof typeof FLAG; suite: string }> {
  const p = getProfile(profileId);
  const suites = p.suites.map((s) => suiteByName(s.name)!).filter((s) => s.openssl && s.kx !== 'TLS13');
  const versions = p.versions.map((v) => v.version).filter((v): v is keyof typeof FLAG => v in FLAG);
  return versions.flatMap((version) =>
    suites.filter((s) => version === 'TLSv1.2' || s.minVersion !== 'TLSv1.2').map((s) => ({ version, suite: s.iana })),
  );
}

for (const [profile, over] of [
  ['iothub-legacy', {}],
  ['iothub-2025', { eccChain: 'ecc-g3' }],
] as const) {
  t.test(`${profile}: every version × suite through the mini engine`, async (t) => {
    const th = await startTestHub(t, oneEndpoint(profile, over));
    const list = probesFor(profile);
    const results = await pool(list, 3, (p) =>
      sClient(th.port, [...BASE, FLAG[p.version], '-cipher', `${suiteByName(p.suite)!.openssl}:@SECLEVEL=0`]),
    );
    const wrong = list
      .filter((p, i) => !results[i]!.handshakeOk || results[i]!.cipher !== suiteByName(p.suite)!.openssl)
      .map((p) => `${p.version} ${p.suite}`);
    t.same(wrong, [], `${list.length} handshakes completed with the requested suite`);
    const events = th.handshakes();
    t.equal(
      events.filter((e) => e.engine === 'mini' && e.outcome === 'HUBTLS_ACCEPTED').length,
      list.length,
      'all on the mini engine, all accepted',
    );
    t.ok(
      events.every((e) => e.mfl?.mode === 'ignore'),
      'max_fragment_length ignored, as the profile says',
    );
  });
}

t.test('key-exchange groups and signature algorithms the client chooses', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025', { eccChain: 'ecc-g3' }));
  const cases = [
    { args: ['-groups', 'X25519', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'], see: /Server Temp Key: X25519/ },
    {
      args: ['-groups', 'P-256:P-384', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
      see: /Server Temp Key: ECDH, prime256v1/,
    },
    { args: ['-groups', 'P-384', '-cipher', 'ECDHE-ECDSA-AES256-SHA384'], see: /Server Temp Key: ECDH, secp384r1/ },
    {
      args: ['-sigalgs', 'RSA-PSS+SHA256', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384'],
      see: /Peer signature type: RSA-PSS/,
    },
    { args: ['-sigalgs', 'RSA+SHA384', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384'], see: /Peer signing digest: SHA384/ },
    {
      args: ['-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0'],
      see: /Peer signing digest: SHA1/,
    },
  ];
  for (const c of cases) {
    const r = await sClient(th.port, [...BASE, ...c.args]);
    t.ok(r.handshakeOk, `${c.args.join(' ')}: handshake`);
    t.match(r.output, c.see);
  }
});

function gnutls3des(port: number, version: string): Promise<string> {
  return gnutlsCli(port, ['--priority', `NONE:+VERS-${version}:+3DES-CBC:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL`]);
}

t.test('issue 4: TLS_RSA_WITH_3DES_EDE_CBC_SHA on iothub-legacy follows the scenario clock', async (t) => {
  if (!needTool(t, 'gnutls-cli', 'gnutls-bin')) return;
  const before = await startTestHub(t, { ...oneEndpoint('iothub-legacy'), clock: { start: '2022-09-01T00:00:00Z' } });
  for (const v of ['TLS1.0', 'TLS1.1', 'TLS1.2']) {
    const out = await gnutls3des(before.port, v);
    t.match(
      out,
      new RegExp(`Description: \\(${v.replace('.', '\\.')}-X\\.509\\)-\\(RSA\\)-\\(3DES-CBC\\)-\\(SHA1\\)`),
      `${v}: gnutls-cli negotiated 3DES`,
    );
    t.match(out, /Handshake was completed/);
  }
  t.same(
    before.handshakes().map((e) => [e.outcome, e.engine, e.negotiated?.suite]),
    Array(3).fill(['HUBTLS_ACCEPTED', 'mini', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA']),
  );
  const after = await startTestHub(t, { ...oneEndpoint('iothub-legacy'), clock: { start: '2022-10-01T00:00:00Z' } });
  const out = await gnutls3des(after.port, 'TLS1.2');
  t.match(out, /Received alert \[40\]/, 'refused with handshake_failure from 2022-10-01');
  const e = await after.nextHandshake();
  t.equal(e.outcome, 'HUBTLS_REFUSED_CIPHER');
  t.match(e.reason, /3DES_EDE_CBC_SHA.*2022-10-01/, 'the event says the suite was retired on that date');
});

async function nodeRoundTrip(
  port: number,
  ca: string,
  opts: tls.ConnectionOptions,
): Promise<{ echoed: boolean; protocol: string | null; cipher: string }> {
  const s = tls.connect({ port, host: '127.0.0.1', servername: 'myhub.azure-devices.net', ca, ...opts });
  await once(s, 'secureConnect');
  const [protocol, cipher] = [s.getProtocol(), s.getCipher().standardName];
  const payload = crypto.randomBytes(50000);
  const got: Buffer[] = [];
  let n = 0;
  s.on('data', (d: Buffer) => {
    got.push(d);
    if ((n += d.length) >= payload.length) s.end();
  });
  s.write(payload);
  await once(s, 'close');
  return { echoed: Buffer.concat(got).equals(payload), protocol, cipher };
}

t.test("Node's tls client: verifies our chain and moves 50 KB both ways", async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none' }));
  const echo = await startMiniEcho(t, th.hub);
  const ca = (await (await sharedStore()).root('digicert-g2')).certPem;
  const cases: tls.ConnectionOptions[] = [
    { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' },
    { ciphers: 'ECDHE-RSA-AES128-SHA256' },
    { ciphers: 'AES128-GCM-SHA256' },
    { ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0', minVersion: 'TLSv1', maxVersion: 'TLSv1' },
    { ciphers: 'AES256-SHA:@SECLEVEL=0', minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' },
  ];
  for (const c of cases) {
    const r = await nodeRoundTrip(echo.port, ca, { maxVersion: 'TLSv1.2', ...c });
    t.ok(r.echoed, `${r.protocol} ${r.cipher}: 50 KB echoed intact`);
  }
  t.equal(
    echo.established.filter((e) => !(e instanceof Error)).length,
    cases.length,
    'every handshake ran on the mini engine',
  );
});

t.test('client certificate: requested, verified (CertificateVerify) and exposed in the event', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'request' }));
  const device = await (await sharedStore()).deviceCert('mini-device-1');
  const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/hubtls-mini-'));
  const fs = await import('node:fs/promises');
  await fs.writeFile(`${dir}/cert.pem`, device.chainPem);
  await fs.writeFile(`${dir}/key.pem`, device.keyPem);
  for (const v of ['-tls1_2', '-tls1']) {
    const r = await sClient(th.port, [
      ...BASE,
      v,
      '-cipher',
      'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0',
      '-cert',
      `${dir}/cert.pem`,
      '-key',
      `${dir}/key.pem`,
    ]);
    t.ok(r.handshakeOk, `${v}: handshake with a client certificate`);
  }
  const events = th.handshakes();
  const fp = new crypto.X509Certificate(device.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  t.same(
    events.map((e) => [e.engine, e.clientCert?.sha256]),
    [
      ['mini', fp],
      ['mini', fp],
    ],
    'the device certificate is in both events',
  );
  const none = await sClient(th.port, [...BASE, '-tls1_2']);
  t.ok(none.handshakeOk, 'request mode: a client without a certificate still connects');
});

t.test('secure renegotiation is advertised, and a renegotiation attempt is refused', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none' }));
  const r = await sClient(th.port, [...BASE, '-tls1_2'], { input: 'R\n' });
  t.match(r.output, /Secure Renegotiation IS supported/);
  t.match(r.output, /RENEGOTIATING[\s\S]*no renegotiation/, 'the client is told no_renegotiation');
  t.equal((await th.nextHandshake()).engine, 'mini');
});
