/**
 * What the mini engine needs to know about each TLS 1.0–1.2 suite it runs: key exchange, bulk
 * cipher, MAC and PRF hash. Every non-TLS-1.3 suite of src/profiles/suites.ts is here, so any
 * handshake OpenSSL accepts for a profile can also run on this engine (MFL ignore applies to all).
 */
import { suiteByName, suiteFitsVersion, type SuiteInfo, type TlsVersion } from '../../../profiles/suites.js';

export type BulkCipher = 'aes-128-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm' | 'des-ede3-cbc';
export type MacHash = 'sha1' | 'sha256' | 'sha384';

export interface CipherParams {
  suite: SuiteInfo;
  cipher: BulkCipher;
  aead: boolean;
  keyLen: number;
  /** CBC block size, or the 4-byte implicit salt of GCM. */
  blockOrSalt: number;
  /** HMAC hash for CBC suites; unused for GCM. */
  mac: MacHash;
  macLen: number;
  /** TLS 1.2 PRF hash (SHA-384 for *_SHA384 suites, else SHA-256). */
  prfHash: 'sha256' | 'sha384';
}

const MAC_LEN: Record<MacHash, number> = { sha1: 20, sha256: 32, sha384: 48 };

function bulkOf(iana: string): BulkCipher | undefined {
  if (iana.includes('3DES_EDE_CBC')) return 'des-ede3-cbc';
  const m = /AES_(128|256)_(CBC|GCM)/.exec(iana);
  return m ? (`aes-${m[1]}-${m[2]!.toLowerCase()}` as BulkCipher) : undefined;
}

function macOf(iana: string): MacHash {
  if (iana.endsWith('_SHA384')) return 'sha384';
  if (iana.endsWith('_SHA256')) return 'sha256';
  return 'sha1';
}

export function cipherParams(iana: string): CipherParams | undefined {
  const suite = suiteByName(iana);
  const cipher = bulkOf(iana);
  if (!suite || !cipher || suite.kx === 'TLS13') return undefined;
  const aead = cipher.endsWith('gcm');
  const mac = macOf(iana);
  return {
    suite,
    cipher,
    aead,
    keyLen: cipher === 'des-ede3-cbc' ? 24 : cipher.startsWith('aes-128') ? 16 : 32,
    blockOrSalt: aead ? 4 : cipher === 'des-ede3-cbc' ? 8 : 16,
    mac,
    macLen: aead ? 0 : MAC_LEN[mac],
    prfHash: mac === 'sha384' ? 'sha384' : 'sha256',
  };
}

/** The capability the policy asks about before routing a handshake here. */
export function miniSupports(version: TlsVersion, iana: string): boolean {
  const p = cipherParams(iana);
  return !!p && version !== 'TLSv1.3' && suiteFitsVersion(p.suite, version);
}
