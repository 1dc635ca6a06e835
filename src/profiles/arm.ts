import type { ProfileDefinition } from './types.js';
import { AZURE_GROUPS, RECOMMENDED_ECDHE_RSA, TLS13_SUITES } from './recommended.js';

const RETIRED = '2024-09-30';
const RETIREMENT_NOTE =
  'Azure Resource Manager stops supporting protocols older than TLS 1.2 on September 30, 2024 (seed 004)';

export const arm: ProfileDefinition = {
  id: 'arm',
  title: 'Azure Resource Manager (management.azure.com)',
  source: 'seed 004 (azure-resource-manager/management/tls-support, 2023-10-05)',
  summary:
    'TLS 1.2 and 1.3 with ECDHE-RSA suites and the TLS 1.3 suites. TLS 1.0/1.1 and the CBC-SHA suites they need ' +
    'are accepted only while the scenario clock is before 2024-09-30.',
  versions: [
    { version: 'TLSv1', until: RETIRED, note: RETIREMENT_NOTE },
    { version: 'TLSv1.1', until: RETIRED, note: RETIREMENT_NOTE },
    { version: 'TLSv1.2' },
    { version: 'TLSv1.3' },
  ],
  suites: [
    ...TLS13_SUITES.map((name) => ({ name })),
    ...RECOMMENDED_ECDHE_RSA.map((name) => ({ name })),
    { name: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', until: RETIRED, note: RETIREMENT_NOTE },
    { name: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', until: RETIRED, note: RETIREMENT_NOTE },
  ],
  groups: AZURE_GROUPS,
  certKeyTypes: ['rsa'],
  sni: 'optional',
  mfl: 'ignore',
};
