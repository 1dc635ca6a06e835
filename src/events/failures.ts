/**
 * Why a handshake the policy accepted did not finish, as the engines report it: a closed list of
 * failure kinds, and the one table that turns a failure into an outcome code and the words of the
 * handshake event. Engines decide the kind where they fail (src/tls/engines/); nothing downstream
 * reads an engine's error wording.
 */
import type { OutcomeCode } from './outcomes.js';

export const FAILURE_KINDS = ['peer-alert', 'peer-closed', 'malformed', 'refused', 'internal'] as const;

/**
 * peer-alert: the client sent a fatal alert. peer-closed: it closed (or sent close_notify) without
 * one. malformed: its bytes were not well-formed TLS. refused: the engine would not go on with a
 * well-formed peer (no common parameters, a signature that does not verify, …). internal: our fault.
 */
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface EngineFailure {
  kind: FailureKind;
  /** Alert number the engine sent, when it knows (the mini engine does; OpenSSL does not say). */
  alertSent?: number;
  /** Alert number the client sent (peer-alert). */
  alertReceived?: number;
  /** What the engine said, for the reason text. */
  message: string;
}

/** What the words need beyond the failure itself; events sits below tls, so tls passes these in. */
export interface FailureContext {
  /** Engine name, e.g. 'openssl' or 'mini'. */
  engine: string;
  /** The chain we served and its root, for "client rejected our chain …". */
  chainId: string;
  root: string;
  /**
   * Appended to a peer alert's or a peer close's reason (record_overflow: why records were too large;
   * a close after an honoured max_fragment_length: the known client limit); '' for none.
   */
  hint: string;
  alertName: (n: number) => string;
}

export interface FailureVerdict {
  outcome: OutcomeCode;
  reason: string;
  alertSent?: string;
  alertReceived?: string;
}

/** Alerts a client sends after our Certificate when it does not accept the chain. */
export const CHAIN_REJECT_ALERTS: readonly number[] = [42, 43, 44, 45, 46, 48, 49, 51];

interface Rule {
  outcome: OutcomeCode;
  reason: (f: EngineFailure, c: FailureContext) => string;
}

const alertText = (n: number | undefined, c: FailureContext) => `${c.alertName(n ?? 0)}(${n ?? 0})`;

/** The table: failure kind (peer-alert split by alert) → outcome and reason. */
export const FAILURE_RULES: Record<FailureKind | 'chain-rejected', Rule> = {
  'chain-rejected': {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    reason: (f, c) =>
      `client rejected our chain ${c.chainId} (root ${c.root}) with alert ${alertText(f.alertReceived, c)}`,
  },
  'peer-alert': {
    outcome: 'HUBTLS_HANDSHAKE_FAILED',
    reason: (f, c) => `client aborted the handshake with alert ${alertText(f.alertReceived, c)}${c.hint}`,
  },
  'peer-closed': {
    outcome: 'HUBTLS_CLIENT_CLOSED',
    reason: (f, c) =>
      (/ECONNRESET|EPIPE/.test(f.message)
        ? `client reset the connection (TCP RST, ${f.message.match(/ECONNRESET|EPIPE/)![0]}) during the handshake without an alert: it gave up on the handshake (a client that cannot take our flight, e.g. mbedTLS 2.x and a Certificate split over records, does this)`
        : 'client closed the connection during the handshake without an alert') + c.hint,
  },
  malformed: {
    outcome: 'HUBTLS_MALFORMED_HELLO',
    reason: (f, c) =>
      c.engine === 'openssl'
        ? `OpenSSL rejected the ClientHello as malformed: ${f.message}`
        : `the ${c.engine} TLS engine found the client's handshake malformed: ${f.message}`,
  },
  refused: { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: (f) => `TLS engine refused the handshake: ${f.message}` },
  internal: { outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: (f) => `TLS engine refused the handshake: ${f.message}` },
};

function ruleFor(f: EngineFailure): Rule {
  const chainRejected = f.kind === 'peer-alert' && CHAIN_REJECT_ALERTS.includes(f.alertReceived ?? -1);
  return FAILURE_RULES[chainRejected ? 'chain-rejected' : f.kind];
}

/** The handshake event's outcome, reason and alert names for an engine failure. Pure. */
export function failureOutcome(f: EngineFailure, c: FailureContext): FailureVerdict {
  const rule = ruleFor(f);
  const received = f.kind === 'peer-alert' ? f.alertReceived : undefined;
  return {
    outcome: rule.outcome,
    ...(f.alertSent !== undefined && { alertSent: c.alertName(f.alertSent) }),
    ...(received !== undefined && { alertReceived: c.alertName(received) }),
    reason: rule.reason(f, c),
  };
}
