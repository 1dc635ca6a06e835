/**
 * TLS alerts: names, the plaintext alert record we send before any keys exist, and recovery of
 * the alert number from Node/OpenSSL errors (so a client's own alert can be named in the log).
 */
export const ALERTS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export const ALERT = {
  handshakeFailure: 40,
  recordOverflow: 22,
  decodeError: 50,
  protocolVersion: 70,
  internalError: 80,
  unrecognizedName: 112,
  unexpectedMessage: 10,
} as const;

export function alertName(n: number): string {
  return ALERTS[n] ?? `alert_${n}`;
}

/**
 * A fatal alert in a plaintext record. The record version echoes the client's record version
 * (capped at TLS 1.2, as TLS 1.3 servers do), which is what OpenSSL sends before a version is agreed.
 */
export function alertRecord(description: number, recordVersion = 0x0303): Buffer {
  const version = Math.min(Math.max(recordVersion, 0x0301), 0x0303);
  return Buffer.from([0x15, version >> 8, version & 0xff, 0x00, 0x02, 0x02, description]);
}

export interface TlsErrorInfo {
  /** Alert number the peer sent, when the error is "the peer sent us an alert". */
  received?: number;
  /** OpenSSL's reason, e.g. "no shared cipher" or "tlsv1 alert unknown ca". */
  reason: string;
  code?: string;
}

/** Reads Node's TLS error: `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA` … "SSL alert number 48". */
export function describeTlsError(err: unknown): TlsErrorInfo {
  const e = err as { code?: string; reason?: string; message?: string };
  const message = e.message ?? String(err);
  const m = /SSL alert number (\d+)/.exec(message);
  return {
    received: m ? Number(m[1]) : undefined,
    reason: e.reason ?? message.split('\n')[0] ?? message,
    code: e.code,
  };
}
