import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, RECOMMENDED_ECDHE_RSA } from './recommended.js';

export const dpsTls12: ProfileDefinition = {
  id: 'dps-tls12',
  title: 'Device Provisioning Service with minTlsVersion 1.2 (2020)',
  source: 'seed 000, "Restrict connections to TLS 1.2" and "Recommended ciphers"',
  summary:
    'TLS 1.2 only, and the handshake is refused unless the ClientHello lists one of the four recommended suites.',
  versions: [{ version: 'TLSv1.2' }],
  suites: RECOMMENDED_ECDHE_RSA.map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
};
