/**
 * The closed set of connection outcomes. Every handshake event carries exactly one of these codes;
 * users grep for them and docs/profiles.md lists them (generated from this table by `hubtls outcomes`).
 */
import { Type } from '@sinclair/typebox';

export const OUTCOMES = {
  HUBTLS_ACCEPTED: {
    meaning: 'The handshake completed with the profile, suite and chain Azure would use.',
    alert: undefined,
  },
  HUBTLS_REFUSED_VERSION: {
    meaning: "No TLS version the client offers is accepted by the endpoint's profile (version floor or ceiling).",
    alert: 70,
  },
  HUBTLS_REFUSED_CIPHER: {
    meaning:
      "None of the client's cipher suites is accepted by the profile for the negotiated version and certificates.",
    alert: 40,
  },
  HUBTLS_REFUSED_SNI: {
    meaning: 'The profile requires server_name (SNI) and the ClientHello has none.',
    alert: 112,
  },
  HUBTLS_MALFORMED_HELLO: {
    meaning:
      'The first bytes were a TLS record but not a well-formed ClientHello (or, on the mini engine, a later handshake record or message did not parse).',
    alert: 50,
  },
  HUBTLS_NOT_TLS: {
    meaning: 'The peer sent bytes that are not TLS (plain MQTT or HTTP to a TLS port, a port scanner).',
    alert: undefined,
  },
  HUBTLS_HELLO_TIMEOUT: {
    meaning: 'No complete ClientHello arrived within the handshake timeout.',
    alert: undefined,
  },
  HUBTLS_CLIENT_CLOSED: {
    meaning: 'The client closed the connection before the handshake finished, without an alert.',
    alert: undefined,
  },
  HUBTLS_CLIENT_REJECTED_CHAIN: {
    meaning:
      'The client aborted after our Certificate with an alert (unknown_ca, bad_certificate, certificate_expired, …).',
    alert: undefined,
  },
  HUBTLS_HANDSHAKE_FAILED: {
    meaning: 'The TLS engine refused the handshake for a reason the policy did not predict (the reason is logged).',
    alert: undefined,
  },
  HUBTLS_HANDSHAKE_TIMEOUT: {
    meaning: 'The handshake started but did not finish within the handshake timeout.',
    alert: undefined,
  },
  HUBTLS_FAULT_INJECTED: {
    meaning: 'A fault from the scenario acted on this connection (reset, stall, delay, truncated chain, …).',
    alert: undefined,
  },
  HUBTLS_MTLS_UNAUTHORIZED: {
    meaning:
      'After TLS, the device needed X.509 authentication and did not present an acceptable certificate (CONNACK 5 / 401002).',
    alert: undefined,
  },
  HUBTLS_DEVICE_UNAUTHORIZED: {
    meaning:
      'After TLS, the device identity or SAS token was refused: unknown device or registration, wrong id scope, bad signature, expired token, wrong resource (CONNACK 5 / 401003).',
    alert: undefined,
  },
  HUBTLS_CONN_LIMIT: {
    meaning: 'The connection was closed at once because a connection limit was reached.',
    alert: undefined,
  },
} as const satisfies Record<string, { meaning: string; alert: number | undefined }>;

export type OutcomeCode = keyof typeof OUTCOMES;

export const OUTCOME_CODES = Object.keys(OUTCOMES) as OutcomeCode[];

/** The outcome field of events and API answers: one literal per code of the table above. */
export function outcomeSchema(description = 'outcome code (README: Outcome codes)') {
  return Type.Union(
    OUTCOME_CODES.map((c) => Type.Literal(c)),
    { description },
  );
}

export const Outcome = outcomeSchema();
