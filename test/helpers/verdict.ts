import type { SClientResult } from './openssl.js';

/**
 * 0 when s_client completed a verified handshake, else OpenSSL's verify error number (20 unable to
 * get local issuer, 10 expired, 9 not yet valid, 62 hostname mismatch), -1 for other failures.
 * (s_client's closing "Verify return code" line says 0 even after a failed verification.)
 */
export function verdict(r: SClientResult): number {
  if (r.handshakeOk) return r.verifyCode ?? -1;
  return Number(/verify error:num=(\d+)/.exec(r.output)?.[1] ?? -1);
}
