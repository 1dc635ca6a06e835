/**
 * max_fragment_length binds the client too (RFC 6066 §4: records larger than the negotiated length
 * are answered with a fatal record_overflow). Both engines say it in these words.
 */

/** OpenSSL's reason when a record is longer than it accepts (the negotiated MFL, or 2^14). */
export const OPENSSL_OVERSIZED_RECORD = 'data length too long';

/** The reason for a client record over the negotiated max_fragment_length; `bytes` when the engine knows it. */
export function mflOverflow(bytes: number | undefined, limit: number): string {
  const record = bytes === undefined ? 'a record' : `a ${bytes}-byte record`;
  return `client sent ${record} over the negotiated max_fragment_length ${limit}; hubtls answered record_overflow(22), as a strict server does (RFC 6066: the agreed length binds the client too)`;
}

/**
 * A known client limit (measured with mbedTLS 2.28, DESIGN.md engine facts): asked for a small
 * max_fragment_length that the hub honours, it cannot put the Certificate message back together
 * from several records and hangs up without an alert. The hub's event, the readiness report and the
 * qualification MFL case all say it in these words.
 */
export const MBEDTLS2_REASSEMBLY_LIMIT =
  'mbedTLS 2.x cannot reassemble a handshake message split over records (-0x7080 MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE); use a buffer ≥ the server flight or MBEDTLS_SSL_IN_CONTENT_LEN 16384';

/** The reason's tail for a client that closed or reset mid-handshake after we honoured its max_fragment_length. */
export function mflClosedHint(requested: number): string {
  return `; max_fragment_length ${requested} was honoured, so our Certificate came in several records: ${MBEDTLS2_REASSEMBLY_LIMIT}`;
}
