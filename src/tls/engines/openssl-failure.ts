/**
 * OpenSSL's errors as typed engine failures, in one place: the alert number a client sent (Node
 * only says it in the message, "SSL alert number 48"), and which library reasons mean the client's
 * bytes were not well-formed TLS rather than a refusal.
 */
import type { EngineFailure } from '../../events/failures.js';
import { ALERT } from '../wire/constants.js';
import { OPENSSL_OVERSIZED_RECORD, mflOverflow } from './mfl.js';

/** Fragments of OpenSSL library reasons ("wrong version number", "bad extension", …) meaning malformed input. */
const MALFORMED_REASONS = [
  'bad extension',
  'length mismatch',
  'no compression specified',
  'wrong version number',
  'invalid',
  'decode error',
  'bad packet',
  'record length',
  'parse tlsext',
];

interface OpensslError {
  /** Alert number the peer sent, when the error is "the peer sent us an alert". */
  received?: number;
  /** OpenSSL's library reason, e.g. "no shared cipher" or "tlsv1 alert unknown ca". */
  reason: string;
}

/** Reads Node's TLS error: `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA` … "SSL alert number 48". */
function readError(err: unknown): OpensslError {
  const e = err as { reason?: string; message?: string };
  const message = e.message ?? String(err);
  const m = /SSL alert number (\d+)/.exec(message);
  return { received: m ? Number(m[1]) : undefined, reason: e.reason ?? message.split('\n')[0] ?? message };
}

function malformed(reason: string): boolean {
  const r = reason.toLowerCase();
  return MALFORMED_REASONS.some((fragment) => r.includes(fragment));
}

/**
 * The failure for an 'error' from a server TLSSocket. `mflLimit`: the max_fragment_length this
 * connection honoured; OpenSSL then refuses a longer client record with record_overflow.
 */
export function opensslFailure(err: unknown, mflLimit?: number): EngineFailure {
  // A TCP reset is the client leaving, not OpenSSL refusing: "read ECONNRESET" blamed our side.
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return { kind: 'peer-closed', message: `peer reset the connection during the handshake (${code})` };
  const { received, reason } = readError(err);
  if (received) return { kind: 'peer-alert', alertReceived: received, message: reason };
  if (mflLimit !== undefined && reason.toLowerCase().includes(OPENSSL_OVERSIZED_RECORD))
    return { kind: 'refused', alertSent: ALERT.recordOverflow, message: mflOverflow(undefined, mflLimit) };
  return { kind: malformed(reason) ? 'malformed' : 'refused', message: reason };
}

/** The failure when the socket closed before the handshake finished. */
export const OPENSSL_PEER_CLOSED: EngineFailure = {
  kind: 'peer-closed',
  message: 'peer closed the connection during the handshake',
};
