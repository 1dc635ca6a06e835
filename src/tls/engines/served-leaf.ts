/**
 * The common name of the leaf we serve, for events that name it (an inferred chain rejection says
 * which leaf the client refused). Parsed once per loaded chain, not per connection: asking the
 * TLS socket (`getCertificate()`) parsed our own certificate again on every handshake.
 */
import { X509Certificate } from 'node:crypto';
import type { ChainMaterial } from '../../pki/types.js';

const names = new WeakMap<ChainMaterial, string>();

export function servedLeafName(chain: ChainMaterial | undefined): string | undefined {
  if (!chain) return undefined;
  let name = names.get(chain);
  if (name === undefined) {
    name = commonName(chain.certPem);
    names.set(chain, name);
  }
  return name || undefined;
}

/** CN of the first certificate in `pem`, or '' when it has none or does not parse. */
function commonName(pem: string): string {
  try {
    const subject = new X509Certificate(pem).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1] ?? '';
  } catch {
    return '';
  }
}
