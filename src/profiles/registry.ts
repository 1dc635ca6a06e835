/**
 * All profiles. Adding one is one file in this folder and one line here.
 */
import { HubtlsError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { ProfileDefinition } from './types.js';
import { iothubLegacy } from './iothub-legacy.js';
import { iothubTls12 } from './iothub-tls12.js';
import { iothub2025 } from './iothub-2025.js';
import { iothubEccPreview } from './iothub-ecc-preview.js';
import { iothubTls13Preview } from './iothub-tls13-preview.js';
import { dps2020 } from './dps-2020.js';
import { dpsTls12 } from './dps-tls12.js';
import { dps } from './dps.js';
import { arm } from './arm.js';

export const PROFILES: readonly ProfileDefinition[] = [
  iothubLegacy,
  iothubTls12,
  iothub2025,
  iothubEccPreview,
  iothubTls13Preview,
  dps2020,
  dpsTls12,
  dps,
  arm,
];

const BY_ID = new Map(PROFILES.map((p) => [p.id, p]));

export function profileIds(): string[] {
  return PROFILES.map((p) => p.id);
}

export function findProfile(id: string): ProfileDefinition | undefined {
  return BY_ID.get(id);
}

export function getProfile(id: string): ProfileDefinition {
  const p = BY_ID.get(id);
  if (!p) {
    throw new HubtlsError(
      'HUBTLS_UNKNOWN_PROFILE',
      `unknown profile "${id}"${didYouMean(id, profileIds())}`,
      `valid profiles: ${profileIds().join(', ')} (see \`hubtls profiles\`)`,
    );
  }
  return p;
}
