/** Event builders for the qualification grader tests: what the hub publishes, with arrival times. */
import type { HandshakeEvent, SessionEvent } from '../../src/events/types.js';
import type { At, Recording } from '../../src/qualify/types.js';
export const G2 = { id: 'g2', keyType: 'rsa', leafSha256: 'aa'.repeat(32), root: 'DigiCert Global Root G2' };
export const GCM = 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';

export function hs(conn: number, t: number, outcome: HandshakeEvent['outcome'], more: Partial<HandshakeEvent> = {}) {
  const hello = {
    versions: ['TLSv1.2' as const],
    suites: [GCM],
    groups: [],
    sigalgs: [],
    alpn: [],
    ja3: '',
    ja4: '',
    bytes: 200,
  };
  return {
    type: 'handshake',
    conn,
    listener: 'l',
    peer: 'p',
    outcome,
    reason: outcome,
    durationMs: 10,
    t,
    hello,
    ...more,
  } as At<HandshakeEvent>;
}
export function ss(conn: number, t: number, action: SessionEvent['action'], more: Partial<SessionEvent> = {}) {
  return {
    type: 'session',
    conn,
    endpoint: 'hub',
    peer: 'p',
    protocol: 'mqtt',
    action,
    ok: true,
    reason: action,
    t,
    ...more,
  } as At<SessionEvent>;
}
export function rec(parts: Partial<Recording>): Recording {
  return {
    handshakes: [],
    verdicts: [],
    sessions: [],
    drops: [],
    open: 0,
    device: { exitCode: 0, stoppedByCase: true, timedOut: false },
    ...parts,
  };
}
