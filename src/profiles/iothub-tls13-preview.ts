import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, SUITES_2025, TLS13_SUITES } from './recommended.js';

export const iothubTls13Preview: ProfileDefinition = {
  id: 'iothub-tls13-preview',
  title: 'IoT Hub TLS 1.3 preview',
  source: 'IoT Hub TLS 1.3 preview (DESIGN.md profile table)',
  summary:
    'TLS 1.2 with the 2025 suites and TLS 1.3 with TLS_AES_256_GCM_SHA384 / TLS_AES_128_GCM_SHA256. ' +
    'A ClientHello without server_name is refused (unrecognized_name).',
  versions: [{ version: 'TLSv1.2' }, { version: 'TLSv1.3' }],
  suites: [...TLS13_SUITES, ...SUITES_2025].map((name) => ({ name })),
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa', 'ec'],
  sni: 'required',
  mfl: 'honour',
};
