import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, DPS_LEGACY_OPTION_1, RECOMMENDED_ECDHE_RSA } from './recommended.js';

export const dps: ProfileDefinition = {
  id: 'dps',
  title: 'Device Provisioning Service (current)',
  source: 'seed 001 (iot-dps/tls-support, current): TLS 1.2 only, recommended + legacy Option #1/#2 suites',
  summary:
    'TLS 1.2 only. The four recommended ECDHE-RSA suites plus six TLS_RSA legacy suites (no forward secrecy). ' +
    'RSA-keyed server certificate under DigiCert Global Root G2.',
  versions: [{ version: 'TLSv1.2' }],
  suites: [...RECOMMENDED_ECDHE_RSA, ...DPS_LEGACY_OPTION_1].map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
};
