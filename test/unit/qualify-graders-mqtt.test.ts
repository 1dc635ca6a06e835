/**
 * The MQTT qualification graders without a hub: recorded event sequences in, grades out. Each
 * sequence is what the hub publishes for a device behaving one way (test/integration/qualify.test.ts
 * drives real ones).
 */
import t from 'tap';
import {
  gradeSasRenewal,
  gradeThrottle,
  gradeSecondConnection,
  judgeWaits,
  gradeBackoff,
  gradePubackRetry,
  gradePingresp,
  gradeNoHammer,
} from '../../src/qualify/grade-mqtt.js';
import { hs, rec, ss } from '../helpers/qualify-events.js';

t.test('backoff series: constant and linear fail, exact doubling warns, jittered doubling passes', async (t) => {
  const jittered = (w: number, i: number) => Math.round(w * (0.7 + ((i * 37) % 10) / 20));
  t.match(judgeWaits(Array(10).fill(100)), { grade: 'fail', evidence: [/100 ms/, /constant reconnect loop/] });
  t.match(judgeWaits([100, 110, 95, 105, 98, 102, 107, 93, 101, 99]), {
    grade: 'fail',
    evidence: [String, /constant/],
  });
  t.match(judgeWaits([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => 1000 * k)), {
    grade: 'fail',
    evidence: [String, /grows, but not exponentially/],
  });
  t.match(judgeWaits([0, 100, 200, 400, 800, 1600, 3200, 6400]), {
    grade: 'warn',
    evidence: [String, /without jitter/],
  });
  t.match(
    judgeWaits([0, 101, 103, 107, 115, 131, 163, 227, 355, 611]),
    { grade: 'warn' },
    'a floor plus exact doubling',
  );
  t.match(judgeWaits([0, 100, 200, 400, 800, 1600, 3200, 6400].map(jittered)), {
    grade: 'pass',
    evidence: [String, /with jitter/],
  });
  // The Azure SDK for Node, measured: an immediate first retry, then 100 ms + (2^(x-1) - 1) × rand(0..25 ms).
  t.match(judgeWaits([5, 106, 117, 168, 266, 216, 394, 637, 1450, 2100]), {
    grade: 'pass',
    evidence: [String, /with jitter/],
  });
  t.match(judgeWaits([2000, 5000]), { grade: 'pass' }, 'few but slow reconnects pass unjudged');
  t.match(judgeWaits([50, 60]), { grade: 'warn' });
});

t.test('backoff case: waits are measured from the drop, then from each failed attempt', async (t) => {
  const starts = [1000, 1100, 1300, 1700, 2500, 4100, 7300, 13700];
  const attempts = starts.map((at, i) => hs(i + 2, at + 10, 'HUBTLS_FAULT_INJECTED'));
  const r = gradeBackoff(rec({ handshakes: [hs(1, 50, 'HUBTLS_ACCEPTED'), ...attempts], drops: [1000] }));
  t.match(r, {
    grade: 'warn',
    evidence: [
      /waits before each reconnect: 0 ms, 90 ms, 190 ms, 390 ms, 790 ms, 1590 ms, 3190 ms, 6390 ms/,
      /without jitter/,
    ],
  });
  t.match(gradeBackoff(rec({ handshakes: [hs(1, 50, 'HUBTLS_ACCEPTED')], drops: [1000] })), {
    grade: 'fail',
    evidence: [/never reconnected/],
  });
});

t.test('PUBACK withheld: same id with DUP passes; without DUP or with a new id fails, naming the ids', async (t) => {
  const pub = (conn: number, at: number, messageId: number, dup: boolean) =>
    ss(conn, at, 'telemetry', { detail: { qos: 1, messageId, dup } });
  const first = pub(1, 300, 7, false);
  const held = ss(1, 300, 'request', { detail: { withheld: 'puback', messageId: 7 } });
  t.match(gradePubackRetry(rec({ sessions: [first, held, pub(2, 2600, 7, true)], drops: [2500] })), {
    grade: 'pass',
    evidence: [/packet id 7 .*withheld/, /dropped at 2500 ms/, /packet id 7 and DUP at 2600 ms/],
  });
  t.match(gradePubackRetry(rec({ sessions: [first, held, pub(2, 2600, 7, false)] })), {
    grade: 'fail',
    evidence: [String, /without DUP/],
    fix: /DUP=1/,
  });
  t.match(gradePubackRetry(rec({ sessions: [first, held, pub(2, 2600, 1, false)] })), {
    grade: 'fail',
    evidence: [String, /packet id 1, DUP 0: not a retransmission/],
  });
  t.match(gradePubackRetry(rec({ sessions: [first, held] })), {
    grade: 'fail',
    evidence: [String, /never sent again/],
  });
  t.match(gradePubackRetry(rec({ sessions: [ss(1, 300, 'telemetry', { detail: { qos: 0 } })] })), { grade: 'na' });
  t.match(
    gradePubackRetry(rec({ sessions: [first, pub(2, 2600, 7, true)] })),
    {
      grade: 'na',
      evidence: [/withheld no PUBACK/],
    },
    'no pass unless the hub really withheld the PUBACK',
  );
});

t.test('missing PINGRESP: the device must close and reconnect itself within 1.5 × keep-alive', async (t) => {
  const connect = ss(1, 100, 'connect', { detail: { keepalive: 2 } });
  const ping = ss(1, 2100, 'request', { detail: { withheld: 'pingresp' } });
  t.match(
    gradePingresp(
      rec({
        sessions: [connect, ping, ss(1, 3100, 'disconnect', { reason: 'connection closed' })],
        handshakes: [hs(1, 90, 'HUBTLS_ACCEPTED'), hs(2, 4100, 'HUBTLS_ACCEPTED')],
      }),
    ),
    {
      grade: 'pass',
      evidence: [/keep-alive 2 s/, /reconnected 1990 ms after the PINGREQ/],
    },
  );
  const hubClosed = ss(1, 5100, 'disconnect', { ok: false, reason: 'device hubtls-device closed: keep-alive expired' });
  t.match(
    gradePingresp(
      rec({
        sessions: [connect, ping, hubClosed],
        handshakes: [hs(1, 90, 'HUBTLS_ACCEPTED'), hs(2, 5300, 'HUBTLS_ACCEPTED')],
      }),
    ),
    {
      grade: 'fail',
      evidence: [String, /the hub closed the silent connection .* never noticed/],
    },
  );
});

t.test('SAS renewal: before expiry passes, after the hub closed warns, reusing the expired token fails', async (t) => {
  const connect = (conn: number, at: number, until: string, validMs: number) =>
    ss(conn, at, 'connect', { detail: { sasExpiry: until, sasValidMs: validMs } });
  const first = connect(1, 100, '2030-01-01T00:00:10.000Z', 10_000);
  const expired = ss(1, 10_100, 'disconnect', {
    reason: 'device d closed: SAS token expired at 2030-01-01T00:00:10.000Z',
  });
  t.match(gradeSasRenewal(rec({ sessions: [first, connect(2, 8100, '2030-01-01T00:00:18.000Z', 10_000)] })), {
    grade: 'pass',
    evidence: [/valid until 2030-01-01T00:00:10.000Z \(10 s after CONNECT\)/, /new token .* 2000 ms before expiry/],
  });
  t.match(
    gradeSasRenewal(rec({ sessions: [first, expired, connect(2, 10_300, '2030-01-01T00:00:20.000Z', 10_000)] })),
    {
      grade: 'warn',
      evidence: [String, /closed the connection at expiry/, /200 ms later/],
    },
  );
  const refused = ss(2, 10_300, 'connect', { ok: false, status: 5, reason: 'SAS token expired' });
  t.match(gradeSasRenewal(rec({ sessions: [first, expired, refused] })), {
    grade: 'fail',
    evidence: [String, String, /1 CONNECT\(s\) refused/],
  });
  t.match(gradeSasRenewal(rec({ sessions: [first] })), { grade: 'na' }, 'a token that outlives the case is not judged');
});

t.test('throttled: a constant loop against CONNACK 3 fails; staying away passes', async (t) => {
  const starts = [1100, 1220, 1340, 1460, 1580, 1700, 1820, 1940];
  const handshakes = [hs(1, 50, 'HUBTLS_ACCEPTED'), ...starts.map((at, i) => hs(i + 2, at + 10, 'HUBTLS_ACCEPTED'))];
  const refused = starts.map((at, i) => ss(i + 2, at + 20, 'connect', { ok: false, status: 3 }));
  t.match(gradeThrottle(rec({ handshakes, sessions: refused, drops: [1000] })), {
    grade: 'fail',
    evidence: [
      /throttled from 1000 ms .*8 CONNECT\(s\) refused/,
      /waits before each reconnect/,
      /constant reconnect loop/,
    ],
  });
  t.match(gradeThrottle(rec({ handshakes: handshakes.slice(0, 1), drops: [1000] })), {
    grade: 'pass',
    evidence: [String, /stayed away/],
  });
});

t.test('second connection: the device comes back after the hub closed it; at once warns, never fails', async (t) => {
  const mine = ss(1, 100, 'connect');
  const twin = ss(2, 1020, 'connect');
  const closed = ss(1, 1030, 'disconnect', {
    reason: 'device d closed: device d connected again (conn 2); IoT Hub closes the older connection (400027)',
  });
  const seq = (back: number) => rec({ sessions: [mine, twin, closed, ss(3, back, 'connect')], drops: [1000] });
  t.match(gradeSecondConnection(seq(2100)), {
    grade: 'pass',
    evidence: [/at 1000 ms; the hub closed the device's conn 1 at 1030 ms/, /reconnected 1070 ms later \(conn 3\)/],
  });
  t.match(gradeSecondConnection(seq(1045)), {
    grade: 'warn',
    evidence: [String, /15 ms later/],
    fix: /close each other in a loop/,
  });
  t.match(gradeSecondConnection(rec({ sessions: [mine, twin, closed], drops: [1000] })), {
    grade: 'fail',
    evidence: [String, /did not reconnect/],
  });
});

t.test('CONNACK 5: giving up passes, a fast loop fails', async (t) => {
  const refused = (n: number, gap: number) =>
    Array.from({ length: n }, (_, i) => ss(i + 1, 100 + i * gap, 'connect', { ok: false, status: 5 }));
  const handshakes = [hs(1, 50, 'HUBTLS_ACCEPTED')];
  t.match(gradeNoHammer(rec({ handshakes, sessions: refused(2, 20) })), { grade: 'pass' });
  t.match(gradeNoHammer(rec({ handshakes, sessions: refused(8, 110) })), {
    grade: 'fail',
    evidence: [/8 CONNECT\(s\) refused with CONNACK 5, 110 ms/],
    fix: /CONNACK 5/,
  });
});
