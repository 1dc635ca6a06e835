/**
 * "Rotate the intermediate": which catalog chain a chain rotates to when a step does not name one.
 * Same root and key type, another issuing CA (so pins on the leaf or the intermediate break, a
 * pin on the root or trust in the root does not). Back and forth, so a second rotation returns.
 */
export const NEXT_INTERMEDIATE: Readonly<Record<string, string>> = {
  g2: 'g2-ca04', // Microsoft Azure RSA TLS Issuing CA 03 → 04, both under DigiCert Global Root G2
  'g2-ca04': 'g2',
  'g2-tls01': 'g2', // Azure TLS Issuing CA 01 (2023) → Azure RSA TLS Issuing CA 03
  baltimore: 'baltimore-msit', // Microsoft RSA TLS CA 01 ↔ Microsoft IT TLS CA 1, both under Baltimore
  'baltimore-msit': 'baltimore',
};

export function nextIntermediate(chainId: string): string | undefined {
  return NEXT_INTERMEDIATE[chainId];
}
