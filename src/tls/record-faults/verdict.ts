/**
 * What it means when a client completes a handshake that a careful client must refuse: each
 * server-side defect names the check the client skipped. The test-bench report flags these
 * connections as insecure instead of counting them as passes.
 */
import type { RecordFaults } from './faults.js';

/** Chain fixtures (src/pki/chains.ts) a client must refuse, and the check that refuses them. */
const CHAIN_CHECKS: Record<string, string> = {
  'wrong-host': 'the client does not check the host name in the server certificate',
  'untrusted-root': 'the client does not check that the chain ends at a trusted root',
  'self-signed-leaf': 'the client accepts a self-signed server certificate',
  expired: 'the client does not check certificate expiry',
  'not-yet-valid': 'the client does not check certificate validity dates',
};

/** Why an accepted handshake is insecure, one sentence per skipped check; empty when it is not. */
export function insecureAcceptance(faults: RecordFaults | undefined, chainId?: string): string[] {
  const out: string[] = [];
  if (faults?.badSignature)
    out.push(
      'INSECURE: the client accepted a ServerKeyExchange whose signature does not verify (it does not check the server key-exchange signature)',
    );
  const check = chainId === undefined ? undefined : CHAIN_CHECKS[chainId];
  if (check) out.push(`INSECURE: the client accepted chain ${chainId}: ${check}`);
  return out;
}
