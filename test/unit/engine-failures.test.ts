/**
 * Engine failures: the table that turns a typed failure into an outcome and the event's words, and
 * the two places that decide a failure's kind (OpenSSL's errors, the mini engine's own refusals).
 */
import t from 'tap';
import { failureOutcome, CHAIN_REJECT_ALERTS, FAILURE_KINDS, type EngineFailure, type FailureContext } from '../../src/events/failures.js';
import { opensslFailure, OPENSSL_PEER_CLOSED } from '../../src/tls/engines/openssl-failure.js';
import { asAlertError, peerAlert } from '../../src/tls/engines/mini/failure.js';
import { parseClientHello } from '../../src/tls/engines/mini/messages.js';
import { alertName } from '../../src/tls/wire/constants.js';

const ctx: FailureContext = { engine: 'openssl', chainId: 'g2', root: 'DigiCert Global Root G2', hint: '', alertName };
const peer = (n: number): EngineFailure => ({ kind: 'peer-alert', alertReceived: n, message: `alert ${n}` });

t.test('a peer alert in the chain-reject list means the client rejected our chain, naming chain and root', async (t) => {
  t.same(CHAIN_REJECT_ALERTS, [42, 43, 44, 45, 46, 48, 49, 51]);
  for (const n of CHAIN_REJECT_ALERTS) {
    const v = failureOutcome(peer(n), ctx);
    t.same(v, {
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
  t.same(failureOutcome(OPENSSL_PEER_CLOSED, ctx), { outcome: 'HUBTLS_CLIENT_CLOSED', reason: 'client closed the connection during the handshake without an alert' });
  t.same(failureOutcome({ kind: 'malformed', message: 'bad extension' }, ctx), { outcome: 'HUBTLS_MALFORMED_HELLO', reason: 'OpenSSL rejected the ClientHello as malformed: bad extension' });
  t.same(failureOutcome({ kind: 'refused', message: 'no shared cipher' }, ctx), { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: 'TLS engine refused the handshake: no shared cipher' });
  t.same(failureOutcome({ kind: 'internal', message: 'boom' }, ctx), { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: 'TLS engine refused the handshake: boom' });
  const mini = failureOutcome({ kind: 'malformed', alertSent: 50, message: 'decode_error: needs 1 bytes, 0 left' }, { ...ctx, engine: 'mini' });
  t.same(mini, { outcome: 'HUBTLS_MALFORMED_HELLO', alertSent: 'decode_error', reason: "the mini TLS engine found the client's handshake malformed: decode_error: needs 1 bytes, 0 left" });
});

t.test('every kind has an outcome', async (t) => {
  for (const kind of FAILURE_KINDS) t.match(failureOutcome({ kind, alertReceived: 40, message: 'm' }, ctx).outcome, /^HUBTLS_/, kind);
});

t.test('OpenSSL: one classification of its errors', async (t) => {
  const alert = Object.assign(new Error('C0:error:0A000418:SSL routines::tlsv1 alert unknown ca:...:SSL alert number 48\n'), { reason: 'tlsv1 alert unknown ca', code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
  t.same(opensslFailure(alert), { kind: 'peer-alert', alertReceived: 48, message: 'tlsv1 alert unknown ca' });
  for (const reason of ['wrong version number', 'bad extension', 'length mismatch', 'invalid compression algorithm', 'record length mismatch', 'bad packet length']) {
    t.equal(opensslFailure(Object.assign(new Error(reason), { reason })).kind, 'malformed', reason);
  }
  t.same(opensslFailure(Object.assign(new Error('x'), { reason: 'no shared cipher' })), { kind: 'refused', message: 'no shared cipher' });
  t.same(opensslFailure(new Error('read ECONNRESET\nmore')), { kind: 'refused', message: 'read ECONNRESET' }, 'no reason: the first line of the message');
});

t.test('mini engine: kinds decided where it fails', async (t) => {
  const truncated = Buffer.from([1, 0, 0, 2, 3, 3]);
  let err: unknown;
  try {
    parseClientHello(truncated);
  } catch (e) {
    err = e;
  }
  t.same(asAlertError(err).failure, { kind: 'malformed', message: 'decode_error: truncated random: needs 32 bytes at offset 6, message has 6', alertSent: 50, alertReceived: undefined });
  t.equal(asAlertError(new Error('bug')).failure.kind, 'internal');
  t.equal(asAlertError(new Error('bug')).failure.alertSent, 80, 'internal_error is sent for the unforeseen');
  t.same(peerAlert(Buffer.from([2, 48])).failure, { kind: 'peer-alert', message: 'peer sent alert unknown_ca(48)', alertSent: undefined, alertReceived: 48 });
  t.equal(peerAlert(Buffer.from([1, 0])).failure.kind, 'peer-closed', 'close_notify is a close, not an alert');
});
