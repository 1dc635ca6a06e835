/**
 * The TLS qualification graders and the case registry without a hub: recorded handshake, verdict
 * and session events in, grades out (test/integration/qualify.test.ts drives real clients).
 */
import t from 'tap';
import {
  gradeChainChange,
  gradeFullRecords,
  gradeRefuses,
  gradeSuites,
  gradeEccOnly,
} from '../../src/qualify/grade-tls.js';
import { CASES, pickCases } from '../../src/qualify/registry.js';
import { G2, GCM, hs, rec, ss } from '../helpers/qualify-events.js';

t.test('refusing a defective certificate: alert passes, silent close warns, completing fails', async (t) => {
  const grade = gradeRefuses('an expired leaf', 'notAfter');
  t.match(
    grade(rec({ handshakes: [hs(1, 30, 'HUBTLS_CLIENT_REJECTED_CHAIN', { alertReceived: 'certificate_expired' })] })),
    {
      grade: 'pass',
      evidence: [/alert certificate_expired/, String],
    },
  );
  const silent = rec({
    handshakes: [hs(1, 30, 'HUBTLS_ACCEPTED')],
    verdicts: [
      {
        type: 'verdict',
        conn: 1,
        outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
        handshakeOutcome: 'HUBTLS_ACCEPTED',
        inferred: true,
        reason: 'silent',
        t: 40,
      },
    ],
  });
  t.match(grade(silent), { grade: 'warn', evidence: [/without a TLS alert/, /inferred/], fix: /fatal alert/ });
  t.match(grade(rec({ handshakes: [hs(1, 30, 'HUBTLS_ACCEPTED')], sessions: [ss(1, 50, 'connect')] })), {
    grade: 'fail',
    evidence: [/completed the handshake with an expired leaf and sent MQTT CONNECT/, String],
    fix: /notAfter/,
  });
  t.match(grade(rec({})), { grade: 'fail', evidence: [/no TLS connection/] });
});

t.test('suites: none of the eight fails, extras warn (TLS 1.3 suites and SCSV do not count)', async (t) => {
  const offer = (suites: string[]) =>
    rec({
      handshakes: [hs(1, 30, 'HUBTLS_REFUSED_CIPHER', { hello: { ...hs(1, 0, 'HUBTLS_ACCEPTED').hello!, suites } })],
    });
  t.match(gradeSuites(offer(['TLS_RSA_WITH_AES_128_CBC_SHA'])), {
    grade: 'fail',
    evidence: [/0 of Azure's eight/, String],
  });
  t.match(gradeSuites(offer([GCM, 'TLS_RSA_WITH_AES_128_CBC_SHA'])), {
    grade: 'warn',
    evidence: [String, /1 Azure never accepts: TLS_RSA_WITH_AES_128_CBC_SHA/],
  });
  t.match(gradeSuites(offer(['TLS_AES_128_GCM_SHA256', GCM, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'])), { grade: 'pass' });
  t.match(
    gradeEccOnly(offer([GCM])),
    { grade: 'na' },
    'a device that offers RSA suites is not graded on the ECC chain',
  );
});

t.test('chain change: both sides of the change must complete', async (t) => {
  const grade = gradeChainChange('migration to G2', 'trust G2');
  const before = hs(1, 30, 'HUBTLS_ACCEPTED', { chain: { ...G2, id: 'baltimore' } });
  t.match(grade(rec({ handshakes: [before, hs(2, 900, 'HUBTLS_ACCEPTED', { chain: G2 })] })), {
    grade: 'pass',
    evidence: [/baltimore/, /conn 2 accepted on chain g2/],
  });
  t.match(
    grade(rec({ handshakes: [before, hs(2, 900, 'HUBTLS_CLIENT_REJECTED_CHAIN', { alertReceived: 'unknown_ca' })] })),
    {
      grade: 'fail',
      evidence: [String, /after the migration to G2: conn 2 .*unknown_ca/],
      fix: 'trust G2',
    },
  );
  t.match(grade(rec({ handshakes: [before] })), { grade: 'fail', evidence: [/never reconnected/] });
});

t.test(
  'the case registry: unique ids, each with its Azure source; --cases picks in order and names unknown ids',
  async (t) => {
    t.equal(new Set(CASES.map((c) => c.id)).size, CASES.length);
    for (const c of CASES) t.ok(c.source && c.azure && c.proves, `${c.id} says what it proves and why`);
    t.same(
      pickCases(['mqtt-backoff', 'tls-connect']).map((c) => c.id),
      ['mqtt-backoff', 'tls-connect'],
    );
    t.throws(() => pickCases(['tls-nope']), /unknown case tls-nope/);
  },
);

t.test(
  '16 KB records: the C2D message acknowledged passes; the connection ending before its PUBACK fails',
  async (t) => {
    const sub = ss(1, 100, 'subscribe', { reason: 'granted subscription to devices/d/messages/devicebound/#' });
    const c2d = ss(1, 200, 'c2d', { reason: 'cloud-to-device message m1 (60000 bytes) sent to d' });
    const mfl = [
      hs(1, 50, 'HUBTLS_ACCEPTED', { hello: { ...hs(1, 0, 'HUBTLS_ACCEPTED').hello!, maxFragmentLength: 1024 } }),
    ];
    t.match(gradeFullRecords(rec({ handshakes: mfl, sessions: [sub, c2d, ss(1, 230, 'c2d-complete')] })), {
      grade: 'pass',
      evidence: [/60000 bytes.*max_fragment_length 1024, which IoT Hub ignores/, /acknowledged \(PUBACK\) at 230 ms/],
    });
    const gone = ss(1, 240, 'disconnect', { ok: false, reason: 'device d closed: connection closed' });
    t.match(gradeFullRecords(rec({ handshakes: mfl, sessions: [sub, c2d, gone] })), {
      grade: 'fail',
      evidence: [String, /connection ended at 240 ms/],
      fix: /16 KB receive buffer/,
    });
    t.match(gradeFullRecords(rec({ handshakes: mfl, sessions: [] })), { grade: 'na' });
  },
);
