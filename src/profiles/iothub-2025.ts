import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, SUITES_2025 } from './recommended.js';

export const iothub2025: ProfileDefinition = {
  id: 'iothub-2025',
  title: 'IoT Hub after 2025-08-31 (TLS 1.0/1.1 retired on all hubs)',
  source: 'Azure TLS 1.0/1.1 retirement for IoT Hub, effective 2025-08-31 (DESIGN.md profile table)',
  summary:
    'TLS 1.2 only with eight suites: ECDHE-ECDSA and ECDHE-RSA with AES-128/256-GCM and AES-128-CBC-SHA256 / ' +
    'AES-256-CBC-SHA384. An RSA chain and a P-384 chain are loaded; the certificate follows the negotiated suite.',
  versions: [{ version: 'TLSv1.2' }],
  suites: SUITES_2025.map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa', 'ec'],
  sni: 'optional',
  mfl: 'ignore',
};
