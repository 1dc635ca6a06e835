/**
 * Suite lists shared by several profiles, named as Microsoft's pages name them.
 */

/** The four "recommended" suites enforced by hubs and DPS with minTlsVersion 1.2 (seeds 000, 001, 002). */
export const RECOMMENDED_ECDHE_RSA = [
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
];

/** The ECDSA suites of the ECC server certificate preview (seed 003, "supported cipher suites for the ECC certificate public preview"). */
export const ECC_PREVIEW_ECDSA = [
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
];

/** The eight suites all hubs accept after 2025-08-31 (Azure's TLS 1.0/1.1 retirement). */
export const SUITES_2025 = [
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
];

/**
 * The TLS_RSA legacy suites (no forward secrecy), in the order both the IoT Hub page (seed 003) and
 * DPS's "Option #1 (better security)" (seed 001) list them.
 */
export const TLS_RSA_LEGACY = [
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_CBC_SHA256',
  'TLS_RSA_WITH_AES_128_CBC_SHA256',
  'TLS_RSA_WITH_AES_256_CBC_SHA',
  'TLS_RSA_WITH_AES_128_CBC_SHA',
];

/**
 * DPS's legacy suites. Its "Option #2 (better performance)" (seed 001) lists the same six in
 * another order; the service follows the client's preference, so the order changes nothing on the
 * wire and the profile carries one list.
 */
export const DPS_LEGACY_OPTION_1 = TLS_RSA_LEGACY;

/** Groups offered in ServerKeyExchange / key_share, Windows (Schannel) default order. */
export const AZURE_GROUPS = ['X25519', 'P-256', 'P-384'];

export const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'];
