/**
 * The mini engine's error: the typed failure it decided on where it failed, carried up to
 * index.ts, which sends `alertSent` and hands the failure to the connection.
 */
import type { EngineFailure, FailureKind } from '../../../events/failures.js';
import { ALERT, alertName } from '../../wire/constants.js';
import { WireDecodeError } from '../../wire/reader.js';

export class TlsAlertError extends Error {
  readonly failure: EngineFailure;

  constructor(message: string, kind: FailureKind, alerts: { send?: number; received?: number } = {}) {
    super(message);
    this.name = 'TlsAlertError';
    this.failure = { kind, message, alertSent: alerts.send, alertReceived: alerts.received };
  }
}

/** A peer's bytes that do not parse: decode_error. */
export const decodeError = (what: string) =>
  new TlsAlertError(`decode_error: ${what}`, 'malformed', { send: ALERT.decodeError });

/** A well-formed peer we will not go on with (no common parameters, a signature that does not verify, …). */
export const refuse = (what: string, alert: number) => new TlsAlertError(what, 'refused', { send: alert });

/** The peer broke the protocol's order (a message or record where another belongs): unexpected_message. */
export const unexpected = (what: string) => new TlsAlertError(what, 'refused', { send: ALERT.unexpectedMessage });

/** A fatal alert from the peer (or close_notify) as the engine's error. */
export function peerAlert(data: Buffer): TlsAlertError {
  const desc = data[1] ?? 0;
  if (desc === ALERT.closeNotify) {
    return new TlsAlertError('peer sent close_notify during the handshake', 'peer-closed');
  }
  return new TlsAlertError(`peer sent alert ${alertName(desc)}(${desc})`, 'peer-alert', { received: desc });
}

/** Any error out of the engine as a TlsAlertError: short reads are decode_error, the unforeseen internal_error. */
export function asAlertError(e: unknown): TlsAlertError {
  if (e instanceof TlsAlertError) return e;
  if (e instanceof WireDecodeError) return decodeError(e.message);
  return new TlsAlertError((e as Error).message, 'internal', { send: ALERT.internalError });
}
