import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, ECC_PREVIEW_ECDSA, RECOMMENDED_ECDHE_RSA } from './recommended.js';

export const iothubEccPreview: ProfileDefinition = {
  id: 'iothub-ecc-preview',
  title: 'IoT Hub in preview mode: ECC server certificate and max fragment length',
  source:
    'seed 003, "Elliptic Curve Cryptography (ECC) server TLS certificate (preview)" and "TLS maximum fragment length negotiation (preview)"',
  summary:
    'TLS 1.2. A client offering only ECDSA suites gets the ECC chain (DigiCert Global Root G3); a client offering RSA ' +
    'suites gets the RSA chain. max_fragment_length is honoured.',
  versions: [{ version: 'TLSv1.2' }],
  suites: [...ECC_PREVIEW_ECDSA, ...RECOMMENDED_ECDHE_RSA].map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa', 'ec'],
  sni: 'optional',
  mfl: 'honour',
};
