/**
 * Engine failures: the table that turns a typed failure into an outcome and the event's words, and
 * the two places that decide a failure's kind (OpenSSL's errors, the mini engine's own refusals).
 */
import t from 'tap';
import { failureOutcome, CHAIN_REJECT_ALERTS, FAILURE_KINDS } from '../../src/events/failures.js';
import type { EngineFailure, FailureContext } from '../../src/events/failures.js';
import { opensslFailure, OPENSSL_PEER_CLOSED } from '../../src/tls/engines/openssl-failure.js';
import { asAlertError, peerAlert } from '../../src/tls/engines/mini/failure.js';
import { parseClientHello } from '../../src/tls/engines/mini/messages.js';
import { alertName } from '../../src/tls/wire/constants.js';

const ctx: FailureContext = { engine: 'openssl', chainId: 'g2', root: 'DigiCert Global Root G2', hint: '', alertName };
const peer = (n: number): EngineFailure => ({ kind: 'peer-alert', alertReceived: n, message: `alert ${n}` });
const failing = (message: string, kind: EngineFailure['kind']) => failureOutcome({ kind, message }, ctx);

t.test('a peer alert in the chain-reject list: the client rejected our chain, naming chain and root', async (t) => {
  t.same(CHAIN_REJECT_ALERTS, [42, 43, 44, 45, 46, 48, 49, 51]);
  for (const n of CHAIN_REJECT_ALERTS) {
    t.same(failureOutcome(peer(n), ctx), {
      outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
      alertReceived: alertName(n),
      reason: `client rejected our chain g2 (root DigiCert Global Root G2) with alert ${alertName(n)}(${n})`,
    });
  }
});

t.test('any other peer alert is a failed handshake, with the hint appended', async (t) => {
  const hint = '; the client asked for max_fragment_length 4096 and profile p ignores it';
  t.same(failureOutcome(peer(22), { ...ctx, hint }), {
    outcome: 'HUBTLS_HANDSHAKE_FAILED',
    alertReceived: 'record_overflow',
    reason: `client aborted the handshake with alert record_overflow(22)${hint}`,
  });
  t.equal(failureOutcome(peer(40), ctx).reason, 'client aborted the handshake with alert handshake_failure(40)');
});

t.test('closed, malformed, refused and internal keep their words', async (t) => {
  t.same(failureOutcome(OPENSSL_PEER_CLOSED, ctx), {
    outcome: 'HUBTLS_CLIENT_CLOSED',
    reason: 'client closed the connection during the handshake without an alert',
  });
  t.same(failing('bad extension', 'malformed'), {
    outcome: 'HUBTLS_MALFORMED_HELLO',
    reason: 'OpenSSL rejected the ClientHello as malformed: bad extension',
  });
  const refused = { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: 'TLS engine refused the handshake: no shared cipher' };
  t.same(failing('no shared cipher', 'refused'), refused);
  t.same(failing('no shared cipher', 'internal'), refused);
  const decode = 'decode_error: needs 1 bytes, 0 left';
  t.same(failureOutcome({ kind: 'malformed', alertSent: 50, message: decode }, { ...ctx, engine: 'mini' }), {
    outcome: 'HUBTLS_MALFORMED_HELLO',
    alertSent: 'decode_error',
    reason: `the mini TLS engine found the client's handshake malformed: ${decode}`,
  });
});

t.test('every kind has an outcome', async (t) => {
  for (const kind of FAILURE_KINDS) {
    t.match(failureOutcome({ kind, alertReceived: 40, message: 'm' }, ctx).outcome, /^HUBTLS_/, kind);
  }
});

t.test('OpenSSL: one classification of its errors', async (t) => {
  const err = (message: string, reason?: string) => Object.assign(new Error(message), reason ? { reason } : {});
  const alertMessage = 'C0:error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48\n';
  const alert = opensslFailure(err(alertMessage, 'tlsv1 alert unknown ca'));
  t.same(alert, { kind: 'peer-alert', alertReceived: 48, message: 'tlsv1 alert unknown ca' });
  const malformed = ['wrong version number', 'bad extension', 'length mismatch', 'invalid compression algorithm'];
  for (const reason of [...malformed, 'bad packet length']) {
    t.equal(opensslFailure(err(reason, reason)).kind, 'malformed', reason);
  }
  t.same(opensslFailure(err('x', 'no shared cipher')), { kind: 'refused', message: 'no shared cipher' });
  const reset = opensslFailure(err('read ECONNRESET\nmore'));
  t.same(reset, { kind: 'refused', message: 'read ECONNRESET' }, 'without a reason: the first line');
});

t.test('mini engine: kinds decided where it fails', async (t) => {
  let err: unknown;
  try {
    parseClientHello(Buffer.from([1, 0, 0, 2, 3, 3]));
  } catch (e) {
    err = e;
  }
  t.same(asAlertError(err).failure, {
    kind: 'malformed',
    message: 'decode_error: truncated random: needs 32 bytes at offset 6, message has 6',
    alertSent: 50,
    alertReceived: undefined,
  });
  const bug = asAlertError(new Error('bug')).failure;
  t.same([bug.kind, bug.alertSent], ['internal', 80], 'the unforeseen is internal, with internal_error sent');
  t.same(peerAlert(Buffer.from([2, 48])).failure, {
    kind: 'peer-alert',
    message: 'peer sent alert unknown_ca(48)',
    alertSent: undefined,
    alertReceived: 48,
  });
  t.equal(peerAlert(Buffer.from([1, 0])).failure.kind, 'peer-closed', 'close_notify is a close, not an alert');
});
