/**
 * Turns (effective profile, loaded chains, client-cert mode) into an OpenSSL SecureContext that
 * enforces the same rules decide() predicts. Contexts are cached: building one parses keys.
 */
import tls from 'node:tls';
import { constants, createHash } from 'node:crypto';
import type { EffectiveProfile } from '../profiles/effective.js';
import type { KeyType } from './policy/types.js';
import type { EndpointMaterial } from '../pki/types.js';

export type ClientCertMode = 'none' | 'request' | 'require';

/**
 * @SECLEVEL=0: the policy, not OpenSSL's security level, decides what is allowed. Level 1 would
 * refuse TLS 1.0/1.1 (SHA-1 signatures), SHA-1 and 1024-bit fixtures that legacy profiles serve.
 */
export function contextOptions(
  profile: EffectiveProfile,
  material: EndpointMaterial,
  clientCert: ClientCertMode,
  only?: KeyType,
  caPems: string[] = [],
): tls.SecureContextOptions {
  // One certificate type per context: decide() picked it (RSA unless the offer is ECDSA-only), and
  // with a single cert loaded OpenSSL cannot pick an ECDSA suite behind the policy's back.
  const types = profile.definition.certKeyTypes.filter((t) => material[t] && (!only || t === only));
  const names = profile.suites.map((s) => s.openssl).filter((n): n is string => n !== null);
  const tls12 = names.filter((n) => !n.startsWith('TLS_'));
  const tls13 = names.filter((n) => n.startsWith('TLS_'));
  return {
    minVersion: profile.minVersion,
    maxVersion: profile.maxVersion,
    ciphers: [...tls13, ...(tls12.length ? tls12 : ['!ALL']), '@SECLEVEL=0'].join(':'),
    ecdhCurve: profile.definition.groups.join(':'),
    honorCipherOrder: false,
    cert: types.map((t) => material[t]!.certPem),
    key: types.map((t) => material[t]!.keyPem),
    ca: clientCert === 'none' || caPems.length === 0 ? undefined : caPems,
    // Azure does not renegotiate: a client's new ClientHello gets a no_renegotiation warning.
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** The suite list of each effective profile, joined once (profiles are shared by snapshots until the policy changes). */
const suiteKeys = new WeakMap<EffectiveProfile, string>();

function suiteKey(profile: EffectiveProfile): string {
  let key = suiteKeys.get(profile);
  if (key === undefined) suiteKeys.set(profile, (key = profile.suites.map((s) => s.id).join(',')));
  return key;
}

export function contextKey(
  endpoint: string,
  profile: EffectiveProfile,
  material: EndpointMaterial,
  clientCert: ClientCertMode,
  only?: KeyType,
): string {
  const suites = suiteKey(profile);
  return [
    endpoint,
    profile.id,
    profile.versions.join(','),
    suites,
    material.rsa?.leafSha256,
    material.ec?.leafSha256,
    clientCert,
    only ?? 'all',
  ].join('|');
}

export class ContextCache {
  private readonly cache = new Map<string, tls.SecureContext>();

  constructor(private readonly limit = 64) {}

  get(key: string, build: () => tls.SecureContextOptions): tls.SecureContext {
    let ctx = this.cache.get(key);
    if (!ctx) {
      ctx = tls.createSecureContext({ sessionIdContext: sessionIdContext(key), ...build() });
      if (this.cache.size >= this.limit) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, ctx);
    }
    return ctx;
  }

  clear(): void {
    this.cache.clear();
  }
}

/**
 * OpenSSL refuses to resume a session (alert 80, "session id context uninitialized") when the
 * server asks for a client certificate and the context has no session id context; tls.Server sets
 * one, bare contexts do not. One per context: a ticket from another endpoint or an older chain is
 * not resumed there (its key differs anyway), it gets a full handshake.
 */
function sessionIdContext(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
