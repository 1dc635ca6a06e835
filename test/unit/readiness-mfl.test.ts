/**
 * Issue 16: the readiness report names the mbedTLS 2.x reassembly limit when a device that asked for
 * max_fragment_length hung up mid-handshake on a profile that honoured it, and only then.
 */
import t from 'tap';
import { assessHello, MBEDTLS2_REASSEMBLY_LIMIT, type ObservedHandshake } from '../../src/report/readiness.js';
import { hello } from '../helpers/hello.js';

const device = hello({
  suites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  sni: 'myhub.azure-devices.net',
  maxFragmentLength: 1024,
});
const profiles = ['iothub-ecc-preview', 'iothub-2025'];
const closed: ObservedHandshake = {
  profile: 'iothub-ecc-preview',
  outcome: 'HUBTLS_CLIENT_CLOSED',
  mfl: { requested: 1024, mode: 'honour' },
};

t.test('a close after an honoured MFL fails that profile and names the limit', async (t) => {
  const r = assessHello(device, { profiles, observed: [closed] });
  const [preview, hub2025] = r.verdicts;
  t.equal(preview!.verdict, 'fail');
  t.match(preview!.why[0], 'max_fragment_length 1024 was honoured');
  t.ok(preview!.why[0]!.endsWith(MBEDTLS2_REASSEMBLY_LIMIT));
  t.equal(hub2025!.verdict, 'warn', 'the ignoring profile keeps its own verdict');
  t.ok(r.findings.some((f) => f.includes(MBEDTLS2_REASSEMBLY_LIMIT)));
  t.match(MBEDTLS2_REASSEMBLY_LIMIT, /-0x7080 MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE.*MBEDTLS_SSL_IN_CONTENT_LEN 16384/);
});

t.test('not named without such a close', async (t) => {
  const others: ObservedHandshake[] = [
    { ...closed, outcome: 'HUBTLS_ACCEPTED' },
    { ...closed, mfl: { requested: 1024, mode: 'ignore' } },
    { ...closed, mfl: undefined },
  ];
  for (const observed of [[], others]) {
    const r = assessHello(device, { profiles, observed });
    t.equal(r.verdicts[0]!.verdict, 'pass');
    t.notOk(JSON.stringify(r).includes('mbedTLS 2.x'));
  }
});
