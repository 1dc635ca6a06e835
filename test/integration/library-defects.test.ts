/**
 * Scenario library, defect stories: what a verifying device sees for each broken chain, what an
 * insecure device does, and what hubtls logs.
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { verdict } from '../helpers/verdict.js';
import { exportedTrust, ROOT, type Trust } from '../helpers/trust.js';
import { nodeConnect } from '../helpers/node-tls.js';

const HUB = ['-servername', 'myhub.azure-devices.net', '-verify_return_error'];
let trust: Trust;
let g2: string[];

t.before(async () => {
  trust = await exportedTrust();
  g2 = [...HUB, '-CAfile', trust.file(ROOT.g2)];
});

t.test("expired-leaf: certificate has expired; the client's alert is logged", async (t) => {
  const th = await startTestHub(t, 'scenarios/expired-leaf.yaml');
  const r = await sClient(th.port, g2);
  t.equal(verdict(r), 10, 'openssl: certificate has expired');
  t.match(await th.nextHandshake(), {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    alertReceived: 'certificate_expired',
    reason: /chain expired/,
  });
  const node = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.equal(node.code, 'CERT_HAS_EXPIRED', 'Node device: CERT_HAS_EXPIRED');
  const lax = await nodeConnect(th.port, { verify: false });
  t.ok(lax.ok, 'a device that does not verify connects');
  const accepted = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
  t.match(
    accepted.notes?.join(' '),
    /INSECURE: the client accepted chain expired: the client does not check certificate expiry/,
  );
});

t.test(
  'not-yet-valid: a correct clock against the fixture, and a 1970 clock against a good chain, see the same',
  async (t) => {
    const th = await startTestHub(t, 'scenarios/not-yet-valid.yaml');
    t.equal(verdict(await sClient(th.port, g2)), 9, 'fixture: certificate is not yet valid');
    t.match(
      await th.nextHandshake(),
      { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', alertReceived: 'bad_certificate' },
      'OpenSSL says bad_certificate',
    );
    const good = await startTestHub(t, 'scenarios/default.yaml');
    t.equal(
      verdict(await sClient(good.port, [...g2, '-attime', '0'])),
      9,
      'device clock at 1970 against the default chain: not yet valid',
    );
    t.equal(verdict(await sClient(good.port, g2)), 0, 'the same device with a correct clock: ok');
  },
);

t.test('wrong-hostname: hostname mismatch in TLS (openssl) or right after it (Node)', async (t) => {
  const th = await startTestHub(t, 'scenarios/wrong-hostname.yaml');
  const r = await sClient(th.port, [...g2, '-verify_hostname', 'myhub.azure-devices.net']);
  t.equal(verdict(r), 62, 'openssl: hostname mismatch');
  const first = await th.nextHandshake();
  t.match(first, { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', alertReceived: 'bad_certificate' });
  const node = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.equal(node.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  t.match(await th.nextHandshake((h) => h.conn !== first.conn), {
    outcome: 'HUBTLS_ACCEPTED',
    chain: { id: 'wrong-host' },
    notes: [/INSECURE: the client accepted chain wrong-host: the client does not check the host name/],
  });
  t.equal(verdict(await sClient(th.port, g2)), 0, 'a device that checks the chain but not the name connects');
});

t.test('missing-intermediate: unable to get local issuer certificate unless the device ships the CA', async (t) => {
  const th = await startTestHub(t, 'scenarios/missing-intermediate.yaml');
  t.equal(verdict(await sClient(th.port, g2)), 20);
  t.match(await th.nextHandshake(), { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', alertReceived: 'unknown_ca' });
  const node = await nodeConnect(th.port, { ca: trust.pem(ROOT.g2) });
  t.equal(node.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'Node device: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

t.test('untrusted-root: a verifying device refuses, an insecure one connects and hubtls says so', async (t) => {
  const th = await startTestHub(t, 'scenarios/untrusted-root.yaml');
  t.equal(
    verdict(await sClient(th.port, [...HUB, '-CAfile', trust.file(ROOT.bundle)])),
    20,
    'the Azure bundle does not verify it',
  );
  t.match(await th.nextHandshake(), { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', alertReceived: 'unknown_ca' });
  const insecure = await nodeConnect(th.port, { verify: false });
  t.ok(insecure.ok, 'rejectUnauthorized: false connects');
  const e = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
  t.match(e.chain?.root, /hubtls Untrusted Root CA/);
  t.match(
    e.notes?.join(' '),
    /INSECURE: the client accepted chain untrusted-root: the client does not check that the chain ends at a trusted root/,
  );
});

t.test('oversized-chain: a Certificate message over 16 KB, which a desktop stack still accepts', async (t) => {
  const th = await startTestHub(t, 'scenarios/oversized-chain.yaml');
  const r = await sClient(th.port, [...g2, '-msg']);
  const len = /<<< TLS 1\.2, Handshake \[length ([0-9a-f]+)\], Certificate/.exec(r.output)?.[1];
  t.ok(len, 'the client saw a Certificate message');
  t.ok(
    parseInt(len!, 16) > 16384,
    `Certificate message is ${parseInt(len!, 16)} bytes: more than one 16 KB record, more than small device buffers hold`,
  );
  t.equal(verdict(r), 0, 'OpenSSL (100 KB certificate list limit) verifies it');
  t.match(await th.nextHandshake(), { outcome: 'HUBTLS_ACCEPTED', chain: { id: 'oversized-chain' } });
});
