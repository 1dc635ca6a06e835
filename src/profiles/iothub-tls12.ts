import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, RECOMMENDED_ECDHE_RSA } from './recommended.js';

export const iothubTls12: ProfileDefinition = {
  id: 'iothub-tls12',
  title: 'IoT Hub with minTlsVersion 1.2',
  source: 'seed 002 (iot-hub-tls-support, 2020-01-10), "Recommended ciphers"',
  summary: 'TLS 1.2 only and only the four recommended ECDHE-RSA suites; anything else is refused.',
  versions: [{ version: 'TLSv1.2' }],
  suites: RECOMMENDED_ECDHE_RSA.map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
};
