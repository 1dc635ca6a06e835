/**
 * Scenario library, fault stories: each fault as a real client meets it, and the event hubtls logs
 * (HUBTLS_FAULT_INJECTED with the fault's id and explanation, unless the client's own verdict
 * describes the connection better).
 */
import t from 'tap';
import { once } from 'node:events';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { verdict } from '../helpers/verdict.js';
import { exportedTrust, ROOT, type Trust } from '../helpers/trust.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { nextNotice } from '../helpers/events.js';

let trust: Trust;
let ca: string;

t.before(async () => {
  trust = await exportedTrust();
  ca = trust.pem(ROOT.g2);
});

t.test('fault-reset-after-hello: the timeline turns resets on for two connections, then off', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-reset-after-hello.yaml');
  t.ok((await nodeConnect(th.port, { ca })).ok, 'connection 1 works');
  await nextNotice(th, 'step', { step: 'resets-begin' });
  const reset = await nodeConnect(th.port, { ca });
  t.equal(reset.code, 'ECONNRESET', 'connection 2: ECONNRESET');
  const s = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.notOk(s.handshakeOk, 'connection 3 (openssl) fails too');
  t.match(s.output, /reset by peer|errno=104/);
  await nextNotice(th, 'step', { step: 'resets-end' });
  t.ok((await nodeConnect(th.port, { ca })).ok, 'connection 4 works again');
  const faulted = th.handshakes().filter((h) => h.outcome === 'HUBTLS_FAULT_INJECTED');
  t.equal(faulted.length, 2);
  t.match(faulted[0], {
    faults: [{ id: 'reset', fault: 'reset-after-hello', explanation: /TCP connection is reset/ }],
    reason: /fault reset \(reset-after-hello\) reset the TCP connection after the ClientHello/,
  });
});

t.test('fault-close-after-server-hello: the ServerHello arrives, then EOF', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-close-after-server-hello.yaml');
  const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-msg']);
  t.match(r.output, /<<< TLS 1\.\d, Handshake \[length [0-9a-f]+\], ServerHello/, 'openssl received the ServerHello');
  t.notMatch(r.output, /, Certificate\n/, 'and no Certificate');
  t.match(r.output, /unexpected eof|errno=0/);
  const node = await nodeConnect(th.port, { ca });
  t.equal(node.code, 'ECONNRESET', node.message ?? '');
  const e = await th.nextHandshake();
  t.match(e, {
    outcome: 'HUBTLS_FAULT_INJECTED',
    faults: [{ id: 'hub.close-after-server-hello', detail: 'closed the connection right after the ServerHello' }],
  });
});

t.test('fault-delay-server-hello: an impatient device gives up, a patient one connects late', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-delay-server-hello.yaml');
  const impatient = await nodeConnect(th.port, { ca, timeoutMs: 300 });
  t.equal(impatient.code, 'CLIENT_TIMEOUT');
  // hubtls learns that the device left once the delay is over (the socket is not read meanwhile).
  t.match(await th.nextHandshake(), {
    outcome: 'HUBTLS_FAULT_INJECTED',
    reason: /delayed the ServerHello by 1500 ms.*then client closed the connection/,
  });
  const patient = await nodeConnect(th.port, { ca });
  t.ok(patient.ok, 'a device that waits connects');
  t.ok(patient.ms >= 1500, `handshake took ${patient.ms} ms (≥ 1500)`);
  const late = await th.nextHandshake((h) => h.negotiated !== undefined);
  t.match(late, { outcome: 'HUBTLS_FAULT_INJECTED', negotiated: { version: 'TLSv1.2' }, chain: { id: 'g2' } });
});

t.test('fault-slow-bytes: the handshake completes, slowly', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-slow-bytes.yaml');
  const r = await nodeConnect(th.port, { ca });
  t.ok(r.ok, r.message ?? 'connected');
  const e = await th.nextHandshake();
  t.match(e, {
    outcome: 'HUBTLS_FAULT_INJECTED',
    negotiated: { version: 'TLSv1.2' },
    faults: [{ fault: 'slow-bytes' }],
  });
  // The server's first flight alone (certificates of ~4 KB) is more than ten 256-byte pieces, 40 ms apart.
  t.ok(r.ms >= 400, `handshake took ${r.ms} ms (≥ 400)`);
});

t.test('fault-stall: nothing comes back; hubtls logs how long the device waited', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-stall.yaml', { handshakeTimeoutMs: 200 });
  const r = await nodeConnect(th.port, { ca, timeoutMs: 600 });
  t.equal(
    r.code,
    'CLIENT_TIMEOUT',
    "the device's own timeout ends it (hubtls's 200 ms handshake timeout is suspended)",
  );
  const e = await th.nextHandshake();
  t.match(e, {
    outcome: 'HUBTLS_FAULT_INJECTED',
    reason: /the client gave up after \d+ ms of silence/,
    faults: [{ fault: 'stall' }],
  });
  t.ok(e.durationMs >= 550, `event duration ${e.durationMs} ms`);
});

t.test('fault-kill-after: a working connection is reset 1 s after its handshake', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-kill-after.yaml');
  const r = await nodeConnect(th.port, { ca, keepOpen: true });
  t.ok(r.ok);
  const errored = once(r.socket!, 'error').catch((e: NodeJS.ErrnoException) => e);
  const [err] = (await errored) as [NodeJS.ErrnoException];
  t.equal(err.code, 'ECONNRESET', 'the device sees ECONNRESET');
  const accepted = await th.nextHandshake();
  t.equal(accepted.outcome, 'HUBTLS_ACCEPTED', 'the handshake itself was fine');
  const kill = await nextNotice(th, 'fault');
  t.match(kill, {
    conn: accepted.conn,
    fault: { id: 'nat', fault: 'kill-after', detail: 'reset the connection after 1 s' },
  });
});

t.test("fault-truncate-chain: leaf only; the client's unknown_ca is the outcome, the fault is named", async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-truncate-chain.yaml');
  const r = await sClient(th.port, [
    '-servername',
    'myhub.azure-devices.net',
    '-verify_return_error',
    '-CAfile',
    trust.file(ROOT.g2),
    '-showcerts',
  ]);
  t.equal(verdict(r), 20);
  t.equal(r.output.match(/-----BEGIN CERTIFICATE-----/g)?.length, 1, 'one certificate on the wire');
  t.match(await th.nextHandshake(), {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    alertReceived: 'unknown_ca',
    faults: [{ fault: 'truncate-chain' }],
  });
});

t.test('fault-serve-defect: every 3rd connection gets the expired leaf', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-serve-defect.yaml');
  const codes = [];
  const args = ['-servername', 'myhub.azure-devices.net', '-verify_return_error', '-CAfile', trust.file(ROOT.g2)];
  for (let i = 0; i < 3; i++) codes.push(verdict(await sClient(th.port, args)));
  t.same(codes, [0, 0, 10], 'ok, ok, certificate has expired');
  const third = await th.nextHandshake((h) => h.outcome !== 'HUBTLS_ACCEPTED');
  t.match(third, {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    alertReceived: 'certificate_expired',
    faults: [{ id: 'bad-gateway', detail: 'served chain expired' }],
  });
  t.same(
    th.hub.runtime.faults.list().map((f) => [f.id, f.seen, f.acted]),
    [['bad-gateway', 3, 1]],
  );
});

t.test(
  'fault-oversize-records: a device that asked for 512-byte records gets 16 KB ones and refuses them',
  async (t) => {
    const th = await startTestHub(t, 'scenarios/fault-oversize-records.yaml');
    const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-maxfraglen', '512']);
    t.notOk(r.handshakeOk, 's_client refuses the handshake');
    const e = await th.nextHandshake();
    t.match(e, {
      outcome: 'HUBTLS_FAULT_INJECTED',
      engine: 'mini',
      alertReceived: 'record_overflow',
      faults: [{ fault: 'oversize-records' }],
    });
    t.match(
      e.reason,
      /hubtls sent 16384-byte records although max_fragment_length 512 was agreed, and the client refused them as it should/,
    );
    t.equal(
      verdict(
        await sClient(th.port, [
          '-servername',
          'myhub.azure-devices.net',
          '-verify_return_error',
          '-CAfile',
          trust.file(ROOT.g2),
        ]),
      ),
      0,
      'a device that did not ask for small records sees nothing wrong',
    );
  },
);

t.test('fault-tiny-records: 1-byte handshake records, reassembled by OpenSSL and Node', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-tiny-records.yaml');
  const r = await sClient(th.port, [
    '-servername',
    'myhub.azure-devices.net',
    '-verify_return_error',
    '-CAfile',
    trust.file(ROOT.g2),
    '-msg',
  ]);
  t.equal(verdict(r), 0, 'openssl connects and verifies');
  const oneByte = r.output.match(/^\s*16 03 03 00 01\s*$/gm)?.length ?? 0;
  t.ok(oneByte > 1000, `${oneByte} one-byte handshake records seen by openssl`);
  t.ok((await nodeConnect(th.port, { ca })).ok, 'Node connects');
  t.match(await th.nextHandshake(), {
    outcome: 'HUBTLS_FAULT_INJECTED',
    engine: 'mini',
    negotiated: { version: 'TLSv1.2' },
    faults: [{ detail: 'sent the handshake in 1-byte records' }],
  });
});

t.test('fault-bad-signature: every real client refuses the key exchange with decrypt_error', async (t) => {
  const th = await startTestHub(t, 'scenarios/fault-bad-signature.yaml');
  const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-CAfile', trust.file(ROOT.g2)]);
  t.notOk(r.handshakeOk);
  t.match(r.output, /bad signature|decrypt/i);
  const node = await nodeConnect(th.port, { verify: false });
  t.notOk(node.ok, `Node refuses too, even without chain verification (${node.code})`);
  const events = [await th.nextHandshake(), await th.nextHandshake((h) => h.conn !== th.handshakes()[0]!.conn)];
  for (const e of events)
    t.match(e, {
      outcome: 'HUBTLS_FAULT_INJECTED',
      alertReceived: 'decrypt_error',
      faults: [{ fault: 'bad-signature' }],
    });
});
