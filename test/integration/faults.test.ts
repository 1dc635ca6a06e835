/**
 * Fault machinery beyond the library stories: faults added and started at run time (what the admin
 * API will call), stopped again, byte-counting kills on the wire, and two wire faults composed.
 */
import t from 'tap';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { verdict } from '../helpers/verdict.js';
import { exportedTrust, ROOT, type Trust } from '../helpers/trust.js';
import { nextNotice } from '../helpers/events.js';

let trust: Trust;
let args: string[];

t.before(async () => {
  trust = await exportedTrust();
  args = ['-servername', 'myhub.azure-devices.net', '-verify_return_error', '-CAfile', trust.file(ROOT.g2)];
});

t.test('runtime.startFault / stopFault: add a fault while running, with chains loaded first', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025'));
  const rt = th.hub.runtime;
  t.equal(verdict(await sClient(th.port, args)), 0, 'healthy before');
  const started = await rt.faults.start({ endpoint: 'hub', fault: 'serve-defect', params: { chain: 'not-yet-valid' } });
  t.match(started, { id: 'hub.serve-defect', active: true, explanation: /presents chain not-yet-valid/ });
  t.match(await nextNotice(th, 'fault-start'), { msg: /fault hub\.serve-defect \(serve-defect\) started on hub/ });
  t.equal(verdict(await sClient(th.port, args)), 9, 'the defect is served: not yet valid');
  t.match(await th.nextHandshake((h) => h.outcome !== 'HUBTLS_ACCEPTED'), {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    faults: [{ id: 'hub.serve-defect' }],
  });
  rt.faults.stop('hub.serve-defect');
  t.equal(verdict(await sClient(th.port, args)), 0, 'healthy after stop');
  t.match(rt.faults.list(), [{ id: 'hub.serve-defect', active: false, acted: 1 }]);
  await t.rejects(rt.faults.start({ endpoint: 'hub', fault: 'delay-server-hello', params: { ms: -1 } }), {
    code: 'HUBTLS_BAD_FAULT',
    message: /params\.ms: Expected integer to be greater or equal to 1/,
  });
  await t.rejects(rt.faults.start('nope'), { code: 'HUBTLS_UNKNOWN_FAULT_ID' });
});

t.test('kill-after bytes: the handshake is cut once N bytes have passed', async (t) => {
  const th = await startTestHub(
    t,
    oneEndpoint('iothub-2025', { faults: [{ fault: 'kill-after', params: { bytes: 2000 } }] }),
  );
  const r = await sClient(th.port, args);
  t.notOk(r.handshakeOk);
  const e = await th.nextHandshake();
  t.match(e, {
    outcome: 'HUBTLS_FAULT_INJECTED',
    faults: [{ fault: 'kill-after', detail: 'reset the connection after 2000 bytes' }],
  });
});

t.test('two wire faults compose: slow bytes, then cut after the ServerHello', async (t) => {
  const scenario = oneEndpoint('iothub-2025', {
    faults: [{ fault: 'slow-bytes', params: { bytes: 16, intervalMs: 5 } }, { fault: 'close-after-server-hello' }],
  });
  const th = await startTestHub(t, scenario);
  const r = await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-msg']);
  t.match(r.output, /ServerHello/);
  t.notOk(r.handshakeOk);
  const e = await th.nextHandshake();
  t.same(
    e.faults?.map((f) => f.fault),
    ['slow-bytes', 'close-after-server-hello'],
    'both faults are named, in the order they acted',
  );
});
