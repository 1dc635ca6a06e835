import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, TLS_RSA_LEGACY } from './recommended.js';

/** Listing order of the IoT Hub page (seed 003): recommended first, then the legacy suites. */
const RECOMMENDED_HUB_ORDER = [
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
];

const LEGACY = ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', ...TLS_RSA_LEGACY];

export const iothubLegacy: ProfileDefinition = {
  id: 'iothub-legacy',
  title: 'IoT Hub without TLS 1.2 enforcement (before 2025-08-31)',
  source: 'seeds 002 and 003 (learn.microsoft.com/azure/iot-hub/iot-hub-tls-support, 2020–2023)',
  summary:
    'TLS 1.0, 1.1 and 1.2; the four recommended ECDHE-RSA suites plus the legacy CBC-SHA and TLS_RSA suites; ' +
    'TLS_RSA_WITH_3DES_EDE_CBC_SHA only while the scenario clock is before 2022-10-01.',
  versions: [{ version: 'TLSv1' }, { version: 'TLSv1.1' }, { version: 'TLSv1.2' }],
  suites: [
    ...RECOMMENDED_HUB_ORDER.map((name) => ({ name })),
    ...LEGACY.map((name) => ({ name })),
    {
      name: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
      until: '2022-10-01',
      note: 'deprecated on 10/01/2022 and no longer used for TLS handshakes (seed 003)',
    },
  ],
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
  minTls12Profile: 'iothub-tls12',
};
