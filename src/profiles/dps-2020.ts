import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, DPS_LEGACY_OPTION_1, RECOMMENDED_ECDHE_RSA } from './recommended.js';

export const dps2020: ProfileDefinition = {
  id: 'dps-2020',
  title: 'Device Provisioning Service, 2020 (TLS 1.0–1.2)',
  source: 'seed 000 (iot-dps/tls-support, 2020-05-11)',
  summary:
    'TLS 1.0, 1.1 and 1.2 with the recommended ECDHE-RSA suites and the TLS_RSA legacy suites. ' +
    'With minTlsVersion "1.2" on the endpoint it becomes dps-tls12 (TLS 1.2 and the four recommended suites only).',
  versions: [{ version: 'TLSv1' }, { version: 'TLSv1.1' }, { version: 'TLSv1.2' }],
  suites: [...RECOMMENDED_ECDHE_RSA, ...DPS_LEGACY_OPTION_1].map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
  minTls12Profile: 'dps-tls12',
};
