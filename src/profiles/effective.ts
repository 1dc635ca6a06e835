import type { DateRange, ProfileDefinition } from './types.js';
import { suiteByName, type SuiteInfo, type TlsVersion, versionRank } from './suites.js';
import { getProfile } from './registry.js';

/** A profile as it stands at one instant of the scenario clock: the dated entries resolved. */
export interface EffectiveProfile {
  id: string;
  definition: ProfileDefinition;
  versions: TlsVersion[];
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  suites: SuiteInfo[];
  /** Suites listed by the profile but out of their date range at this instant, with why. */
  retired: Array<{ suite: SuiteInfo; why: string }>;
}

export function activeAt(range: DateRange, now: Date): boolean {
  const t = now.getTime();
  if (range.from && t < Date.parse(range.from)) return false;
  if (range.until && t >= Date.parse(range.until)) return false;
  return true;
}

/**
 * The stretch of scenario time around `now` in which effectiveProfile(definition, ·) gives the same
 * answer: from the last date boundary at or before `now` to the next one after it (ms since epoch).
 */
export function effectiveWindow(definition: ProfileDefinition, now: Date): { from: number; until: number } {
  const t = now.getTime();
  let from = -Infinity;
  let until = Infinity;
  for (const range of [...definition.versions, ...definition.suites])
    for (const edge of [range.from, range.until]) {
      if (!edge) continue;
      const at = Date.parse(edge);
      if (at <= t) from = Math.max(from, at);
      else until = Math.min(until, at);
    }
  return { from, until };
}

function rangeText(range: DateRange): string {
  const parts = [range.from && `from ${range.from}`, range.until && `until ${range.until}`].filter(Boolean);
  return `${parts.join(' ')}${range.note ? `: ${range.note}` : ''}`;
}

function resolveSuite(name: string, profileId: string): SuiteInfo {
  const suite = suiteByName(name);
  if (!suite) throw new Error(`profile ${profileId} names unknown suite ${name}`);
  return suite;
}

export function effectiveProfile(definition: ProfileDefinition, now: Date): EffectiveProfile {
  const versions = definition.versions.filter((v) => activeAt(v, now)).map((v) => v.version);
  versions.sort((a, b) => versionRank(a) - versionRank(b));
  const suites: SuiteInfo[] = [];
  const retired: EffectiveProfile['retired'] = [];
  for (const entry of definition.suites) {
    const suite = resolveSuite(entry.name, definition.id);
    if (activeAt(entry, now)) suites.push(suite);
    else retired.push({ suite, why: rangeText(entry) });
  }
  return {
    id: definition.id,
    definition,
    versions,
    minVersion: versions[0] ?? 'TLSv1.2',
    maxVersion: versions[versions.length - 1] ?? 'TLSv1.2',
    suites,
    retired,
  };
}

/** The profile an endpoint really runs: its own, or the stricter one its minTlsVersion selects. */
export function resolveEndpointProfile(profileId: string, minTlsVersion?: '1.2'): ProfileDefinition {
  const base = getProfile(profileId);
  if (minTlsVersion === '1.2' && base.minTls12Profile) return getProfile(base.minTls12Profile);
  return base;
}
