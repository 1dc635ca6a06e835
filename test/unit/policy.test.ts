import t from 'tap';
import { decide } from '../../src/tls/policy/decide.js';
import { explain } from '../../src/tls/policy/explain.js';
import { hostMatches } from '../../src/tls/policy/route.js';
import { hello, endpoint, state } from '../helpers/hello.js';

const RSA_GCM = 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';
const ECDSA_GCM = 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384';

t.test('TLS 1.0 client against a TLS 1.2 hub: protocol_version', async (t) => {
  const d = decide(
    hello({ versions: ['TLSv1'], legacyVersion: 'TLSv1', suites: ['TLS_RSA_WITH_AES_128_CBC_SHA'] }),
    state([endpoint('iothub-tls12')]),
  );
  t.equal(d.code, 'HUBTLS_REFUSED_VERSION');
  t.equal(d.code !== 'HUBTLS_ACCEPTED' && d.alert, 70);
  t.match(explain(d), /client offers TLS 1\.0 but profile iothub-tls12 accepts TLS 1\.2.*version floor/);
});

t.test('TLS 1.3-only client against a TLS 1.2 hub: protocol_version (ceiling)', async (t) => {
  const d = decide(
    hello({ versions: ['TLSv1.3'], explicitVersions: true, suites: ['TLS_AES_128_GCM_SHA256'] }),
    state([endpoint('iothub-2025')]),
  );
  t.equal(d.code, 'HUBTLS_REFUSED_VERSION');
  t.match(explain(d), /above the version ceiling/);
});

t.test('no shared suite: handshake_failure with near misses explained', async (t) => {
  const d = decide(
    hello({ suites: ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] }),
    state([endpoint('iothub-tls12')]),
  );
  t.equal(d.code, 'HUBTLS_REFUSED_CIPHER');
  t.equal(d.code !== 'HUBTLS_ACCEPTED' && d.alert, 40);
  t.match(
    explain(d),
    /none of them listed by iothub-tls12; iothub-tls12 accepts TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/,
  );
});

t.test('follows the client order, not the profile order', async (t) => {
  const d = decide(
    hello({ suites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', RSA_GCM] }),
    state([endpoint('iothub-2025')]),
  );
  t.equal(d.code, 'HUBTLS_ACCEPTED');
  t.equal(d.code === 'HUBTLS_ACCEPTED' && d.suite, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256');
});

t.test('ECDSA-only offer gets the ECC chain where the profile has one', async (t) => {
  const d = decide(hello({ suites: [ECDSA_GCM] }), state([endpoint('iothub-2025')]));
  t.equal(d.code, 'HUBTLS_ACCEPTED');
  if (d.code === 'HUBTLS_ACCEPTED') {
    t.equal(d.keyType, 'ec');
    t.equal(d.chain, 'ecc-g3');
  }
});

t.test('mixed offer, ECDSA first: Azure still serves RSA, in the client order among RSA suites', async (t) => {
  const d = decide(
    hello({ suites: [ECDSA_GCM, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', RSA_GCM] }),
    state([endpoint('iothub-2025')]),
  );
  t.equal(
    d.code === 'HUBTLS_ACCEPTED' && `${d.suite} ${d.keyType} ${d.chain}`,
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 rsa g2',
  );
  t.match(d.notes.join(), /ECC chain only for ECDSA-only offers/);
});

t.test('ECDSA-only offer on an RSA-only endpoint is refused, and the log says why', async (t) => {
  const d = decide(hello({ suites: [ECDSA_GCM] }), state([endpoint('iothub-2025', { chains: { rsa: 'g2' } })]));
  t.equal(d.code, 'HUBTLS_REFUSED_CIPHER');
  t.match(d.code !== 'HUBTLS_ACCEPTED' && d.nearMisses[0]?.why, /needs an ECC certificate/);
});

t.test('ECDSA suite without P-384 in the client curves is skipped', async (t) => {
  const d = decide(
    hello({ suites: [ECDSA_GCM, RSA_GCM], groups: ['x25519', 'secp256r1'] }),
    state([endpoint('iothub-2025')]),
  );
  t.equal(d.code === 'HUBTLS_ACCEPTED' && d.suite, RSA_GCM);
  t.match(d.notes.join(), /P-384/);
});

t.test('GCM suites are not usable in TLS 1.0 on a legacy hub; CBC-SHA is', async (t) => {
  const d = decide(
    hello({ versions: ['TLSv1'], suites: ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'] }),
    state([endpoint('iothub-legacy')]),
  );
  t.equal(d.code === 'HUBTLS_ACCEPTED' && `${d.version} ${d.suite}`, 'TLSv1 TLS_RSA_WITH_AES_128_CBC_SHA');
});

t.test('3DES on a legacy hub: only before 2022-10-01, and only with the alternative engine', async (t) => {
  const before = new Date('2022-09-30T12:00:00Z');
  const h = hello({ suites: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA'] });
  const noEngine = decide(h, state([endpoint('iothub-legacy', {}, before)]));
  t.equal(noEngine.code, 'HUBTLS_REFUSED_CIPHER', 'without the engine 3DES cannot run');
  const mini = { supports: () => true };
  const ok = decide(h, { ...state([endpoint('iothub-legacy', {}, before)]), mini });
  t.equal(ok.code === 'HUBTLS_ACCEPTED' && ok.engine, 'mini');
  const after = new Date('2022-10-01T00:00:00Z');
  const late = decide(h, { ...state([endpoint('iothub-legacy', {}, after)]), mini });
  t.equal(late.code, 'HUBTLS_REFUSED_CIPHER', 'refused from 2022-10-01');
});

t.test('SNI required by the TLS 1.3 preview profile', async (t) => {
  const d = decide(
    hello({ versions: ['TLSv1.2', 'TLSv1.3'], suites: ['TLS_AES_128_GCM_SHA256', RSA_GCM] }),
    state([endpoint('iothub-tls13-preview')]),
  );
  t.equal(d.code, 'HUBTLS_REFUSED_SNI');
  t.equal(d.code !== 'HUBTLS_ACCEPTED' && d.alert, 112);
  const ok = decide(
    hello({
      sni: 'x.azure-devices.net',
      versions: ['TLSv1.2', 'TLSv1.3'],
      suites: ['TLS_AES_128_GCM_SHA256', RSA_GCM],
    }),
    state([endpoint('iothub-tls13-preview')]),
  );
  t.equal(ok.code === 'HUBTLS_ACCEPTED' && ok.version, 'TLSv1.3');
});

t.test('TLS 1.3 certificate: RSA when the client can verify it, else ECC', async (t) => {
  const base = { sni: 'x.azure-devices.net', versions: ['TLSv1.3' as const], suites: ['TLS_AES_256_GCM_SHA384'] };
  const ec = decide(
    hello({ ...base, sigalgs: ['ecdsa_secp384r1_sha384', 'rsa_pss_rsae_sha256'] }),
    state([endpoint('iothub-tls13-preview')]),
  );
  t.equal(ec.code === 'HUBTLS_ACCEPTED' && ec.keyType, 'rsa', 'RSA whenever the client can verify RSA-PSS');
  const ecOnly = decide(
    hello({ ...base, sigalgs: ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384'] }),
    state([endpoint('iothub-tls13-preview')]),
  );
  t.equal(
    ecOnly.code === 'HUBTLS_ACCEPTED' && ecOnly.keyType,
    'ec',
    'ECDSA-only signature algorithms get the ECC chain',
  );
  const p256 = decide(
    hello({ ...base, sigalgs: ['ecdsa_secp256r1_sha256'] }),
    state([endpoint('iothub-tls13-preview')]),
  );
  t.equal(p256.code, 'HUBTLS_REFUSED_CIPHER', 'a P-256-only client cannot verify the P-384 leaf');
});

t.test('routing by SNI, default without SNI, unmatched SNI noted', async (t) => {
  const hub = endpoint('iothub-2025');
  const dps = endpoint('dps', {
    name: 'dps',
    kind: 'dps',
    hostnames: ['*.azure-devices-provisioning.net'],
    isDefault: false,
  });
  const s = state([hub, dps]);
  t.equal(decide(hello({ sni: 'global.azure-devices-provisioning.net', suites: [RSA_GCM] }), s).endpoint, 'dps');
  t.equal(decide(hello({ suites: [RSA_GCM] }), s).endpoint, 'hub');
  const odd = decide(hello({ sni: 'example.org', suites: [RSA_GCM] }), s);
  t.equal(odd.endpoint, 'hub');
  t.match(odd.notes.join(), /matches no endpoint/);
});

t.test('max_fragment_length: honoured on preview hubs, ignored elsewhere when the engine can', async (t) => {
  const h = hello({ suites: [RSA_GCM], maxFragmentLength: 512 });
  const preview = decide(h, state([endpoint('iothub-ecc-preview')]));
  t.same(preview.code === 'HUBTLS_ACCEPTED' && preview.mfl, { requested: 512, mode: 'honour' });
  const plain = decide(h, { ...state([endpoint('iothub-2025')]), mini: { supports: () => true } });
  t.same(plain.code === 'HUBTLS_ACCEPTED' && [plain.mfl, plain.engine], [{ requested: 512, mode: 'ignore' }, 'mini']);
  const noEngine = decide(h, state([endpoint('iothub-2025')]));
  t.same(noEngine.code === 'HUBTLS_ACCEPTED' && noEngine.mfl?.mode, 'honour');
  t.match(noEngine.notes.join(), /honoured instead/);
});

t.test('minTlsVersion profiles and ARM dates', async (t) => {
  const old = new Date('2024-01-01T00:00:00Z');
  const d = decide(
    hello({ versions: ['TLSv1', 'TLSv1.1'], legacyVersion: 'TLSv1.1', suites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] }),
    state([endpoint('arm', {}, old)]),
  );
  t.equal(d.code === 'HUBTLS_ACCEPTED' && d.version, 'TLSv1.1', 'ARM accepts TLS 1.1 before 2024-09-30');
  const now = new Date('2024-10-01T00:00:00Z');
  const late = decide(
    hello({ versions: ['TLSv1', 'TLSv1.1'], suites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] }),
    state([endpoint('arm', {}, now)]),
  );
  t.equal(late.code, 'HUBTLS_REFUSED_VERSION');
});

t.test('host matching', async (t) => {
  t.ok(hostMatches('*.azure-devices.net', 'MyHub.azure-devices.net'));
  t.notOk(hostMatches('*.azure-devices.net', 'a.b.azure-devices.net'));
  t.notOk(hostMatches('*.azure-devices.net', 'azure-devices.net'));
  t.ok(hostMatches('global.azure-devices-provisioning.net', 'global.azure-devices-provisioning.net.'));
});
