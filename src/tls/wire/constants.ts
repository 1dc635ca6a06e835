/**
 * TLS numbers in one table for everyone who reads or writes TLS bytes: the hello reader, the
 * ClientHello decoder, the mini engine, the policy's refusals and the record faults.
 */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  valid: (t: number) => t >= 20 && t <= 23,
} as const;

export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** Alert descriptions by number (RFC 5246 §7.2, RFC 8446 §6), for logs. */
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
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** The alerts hubtls itself sends, by name, so no alert number is written as a literal elsewhere. */
export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  noRenegotiation: 100,
  unrecognizedName: 112,
} as const;

export function alertName(n: number): string {
  return ALERTS[n] ?? `alert_${n}`;
}

/** Record header bytes: type(1) version(2) length(2). */
export const RECORD_HEADER = 5;
/** RFC 5246 §6.2.1: a plaintext record's fragment must not exceed 2^14 bytes. */
export const MAX_PLAINTEXT = 16384;
/** RFC 5246 §6.2.3: a protected record may add up to 2048 bytes. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;
/** Handshake message header bytes: type(1) length(3). */
export const HANDSHAKE_HEADER = 4;
