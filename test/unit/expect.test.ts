/** The expect: comparison of `hubtls test`: every rule, matched and mismatched, in plain words. */
import t from 'tap';
import { mismatches, type Observed } from '../../src/report/expect.js';
import type { OutcomeCode } from '../../src/events/outcomes.js';

const seen = (outcomes: OutcomeCode[], over: Partial<Observed> = {}): Observed => ({
  exitCode: 0,
  timedOut: false,
  timeoutMs: 60_000,
  handshakes: outcomes.map((outcome) => ({ outcome, reason: `because ${outcome}` })),
  ...over,
});

t.test('exitCode: a number, or "nonzero"; a signal is named', async (t) => {
  t.same(mismatches({ exitCode: 0 }, seen([])), []);
  t.same(mismatches({ exitCode: 2 }, seen([], { exitCode: 1 })), ['device exit code: expected 2, got 1']);
  t.same(mismatches({ exitCode: 'nonzero' }, seen([], { exitCode: 1 })), []);
  t.same(mismatches({ exitCode: 'nonzero' }, seen([])), ['device exit code: expected nonzero, got 0']);
  t.same(mismatches({ exitCode: 0 }, seen([], { exitCode: null, signal: 'SIGSEGV' })), [
    'device exit code: expected 0, got killed by SIGSEGV',
  ]);
});

t.test('outcome: every handshake, and at least one', async (t) => {
  t.same(mismatches({ outcome: 'HUBTLS_ACCEPTED' }, seen(['HUBTLS_ACCEPTED', 'HUBTLS_ACCEPTED'])), []);
  t.same(mismatches({ outcome: 'HUBTLS_ACCEPTED' }, seen([])), [
    'expected HUBTLS_ACCEPTED, but the device made no connection',
  ]);
  t.same(mismatches({ outcome: 'HUBTLS_ACCEPTED' }, seen(['HUBTLS_ACCEPTED', 'HUBTLS_REFUSED_CIPHER'])), [
    'expected every handshake to be HUBTLS_ACCEPTED, got HUBTLS_REFUSED_CIPHER: because HUBTLS_REFUSED_CIPHER',
  ]);
});

t.test('outcomes: the exact sequence; includes: each at least once', async (t) => {
  const retry = seen(['HUBTLS_CLIENT_REJECTED_CHAIN', 'HUBTLS_ACCEPTED']);
  t.same(mismatches({ outcomes: ['HUBTLS_CLIENT_REJECTED_CHAIN', 'HUBTLS_ACCEPTED'] }, retry), []);
  t.same(mismatches({ outcomes: ['HUBTLS_ACCEPTED'] }, retry), [
    'expected handshakes [HUBTLS_ACCEPTED], got [HUBTLS_CLIENT_REJECTED_CHAIN, HUBTLS_ACCEPTED]',
  ]);
  t.same(mismatches({ includes: ['HUBTLS_ACCEPTED'] }, retry), []);
  t.same(mismatches({ includes: ['HUBTLS_REFUSED_SNI', 'HUBTLS_NOT_TLS'] }, retry), [
    'expected at least one HUBTLS_REFUSED_SNI and one HUBTLS_NOT_TLS, got [HUBTLS_CLIENT_REJECTED_CHAIN, HUBTLS_ACCEPTED]',
  ]);
});

t.test('a timeout is always a mismatch, and the exit code of a killed command is not judged', async (t) => {
  t.same(
    mismatches({ exitCode: 0 }, seen([], { timedOut: true, exitCode: null, signal: 'SIGKILL', timeoutMs: 1500 })),
    ['the device command did not finish within 1.5 s (killed)'],
  );
  t.same(mismatches({}, seen([])), [], 'an empty expect: block only runs the command');
});
