/**
 * Meaning checks for the device fields, after the schema passed: which fields each auth /
 * attestation needs, references to endpoints and CAs, duplicates. Pure; load.ts locates the lines.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { ROOTS } from '../pki/catalog.js';
import { didYouMean } from '../util/suggest.js';
import type { CaRefFile, DeviceEntryFile, EnrollmentEntryFile } from './schema.js';
import type { DeviceDoc } from './compile.js';

export interface DeviceProblem {
  segs: Array<string | number>;
  found?: unknown;
  expected: string;
}

type Path = Array<string | number>;

const NEEDS: Record<string, Array<keyof DeviceEntryFile & keyof EnrollmentEntryFile>> = {
  sas: ['primaryKey'],
  'x509-thumbprint': [],
  'x509-ca': [],
  'symmetric-key': ['primaryKey'],
  x509: [],
};
const KEY_FIELDS = ['primaryKey', 'secondaryKey'] as const;
const THUMB_FIELDS = ['primaryThumbprint', 'secondaryThumbprint'] as const;
const USES: Record<string, readonly string[]> = {
  sas: KEY_FIELDS,
  'symmetric-key': KEY_FIELDS,
  'x509-thumbprint': THUMB_FIELDS,
  x509: THUMB_FIELDS,
  'x509-ca': ['ca'],
};

/** Missing fields the tag needs, and fields set that the tag does not use. */
function tagProblems(entry: Record<string, unknown>, tag: string, tagField: string, at: Path): DeviceProblem[] {
  const out: DeviceProblem[] = [];
  for (const f of NEEDS[tag] ?? [])
    if (entry[f] === undefined) out.push({ segs: [...at, f], expected: `this field (${tagField}: ${tag} needs it)` });
  for (const f of [...KEY_FIELDS, ...THUMB_FIELDS, 'ca']) {
    if (entry[f] !== undefined && !(USES[tag] ?? []).includes(f))
      out.push({
        segs: [...at, f],
        found: entry[f],
        expected: `no ${f} with ${tagField}: ${tag} (it uses ${(USES[tag] ?? []).join(', ') || 'no key or thumbprint'})`,
      });
  }
  return out;
}

export function caProblems(ref: CaRefFile, at: Path, baseDir: string): DeviceProblem[] {
  const roots = ROOTS.map((r) => r.id);
  if (typeof ref === 'string')
    return roots.includes(ref)
      ? []
      : [
          {
            segs: at,
            found: ref,
            expected: `a root id from \`hubtls certs list\`: ${roots.join(', ')}${didYouMean(ref, roots)}`,
          },
        ];
  const file = resolve(baseDir, ref.file);
  try {
    accessSync(file, constants.R_OK);
    return [];
  } catch {
    return [{ segs: [...at, 'file'], found: ref.file, expected: `a readable PEM file (resolved to ${file})` }];
  }
}

function duplicates<T>(
  items: T[],
  key: (x: T) => string | undefined,
  at: (i: number) => Path,
  what: string,
): DeviceProblem[] {
  const seen = new Set<string>();
  const out: DeviceProblem[] = [];
  items.forEach((x, i) => {
    const k = key(x);
    if (k === undefined) return;
    if (seen.has(k.toLowerCase())) out.push({ segs: at(i), found: k, expected: `${what} not used by another entry` });
    seen.add(k.toLowerCase());
  });
  return out;
}

function deviceProblemsOf(devices: DeviceEntryFile[]): DeviceProblem[] {
  const out = devices.flatMap((d, i) => tagProblems(d as Record<string, unknown>, d.auth, 'auth', ['devices', i]));
  return [
    ...out,
    ...duplicates(
      devices,
      (d) => d.id,
      (i) => ['devices', i, 'id'],
      'a device id',
    ),
  ];
}

function enrollmentProblems(e: EnrollmentEntryFile, at: Path, doc: DeviceDoc, baseDir: string): DeviceProblem[] {
  const out = tagProblems(e as Record<string, unknown>, e.attestation, 'attestation', at);
  const group = e.groupId !== undefined;
  if (group === (e.registrationId !== undefined))
    out.push({
      segs: at,
      expected: 'exactly one of registrationId (individual enrollment) or groupId (enrollment group)',
    });
  if (group && e.attestation === 'x509')
    out.push({
      segs: [...at, 'attestation'],
      found: e.attestation,
      expected: 'x509-ca or symmetric-key for an enrollment group',
    });
  if (!group && e.attestation === 'x509-ca')
    out.push({
      segs: [...at, 'attestation'],
      found: e.attestation,
      expected: 'x509 or symmetric-key for an individual enrollment (x509-ca is for groups)',
    });
  if (group && e.deviceId !== undefined)
    out.push({
      segs: [...at, 'deviceId'],
      found: e.deviceId,
      expected: 'no deviceId in a group (devices are named by their registration id)',
    });
  if (e.ca !== undefined) out.push(...caProblems(e.ca, [...at, 'ca'], baseDir));
  const hubs = doc.endpoints.filter((ep) => ep.kind === 'iothub').map((ep) => ep.name);
  if (hubs.length === 0)
    out.push({ segs: [...at, 'hub'], expected: 'an endpoint of kind iothub in this scenario to assign devices to' });
  else if (e.hub !== undefined && !hubs.includes(e.hub))
    out.push({
      segs: [...at, 'hub'],
      found: e.hub,
      expected: `the name of an iothub endpoint: ${hubs.join(', ')}${didYouMean(e.hub, hubs)}`,
    });
  return out;
}

export function deviceProblems(doc: DeviceDoc, baseDir: string): DeviceProblem[] {
  const enrollments = doc.enrollments ?? [];
  return [
    ...(doc.deviceCAs ?? []).flatMap((ca, i) => caProblems(ca, ['deviceCAs', i], baseDir)),
    ...deviceProblemsOf(doc.devices ?? []),
    ...enrollments.flatMap((e, i) => enrollmentProblems(e, ['enrollments', i], doc, baseDir)),
    ...duplicates(
      enrollments,
      (e) => e.registrationId,
      (i) => ['enrollments', i, 'registrationId'],
      'a registration id',
    ),
    ...duplicates(
      enrollments,
      (e) => e.groupId,
      (i) => ['enrollments', i, 'groupId'],
      'a group id',
    ),
    ...duplicates(
      doc.policies ?? [],
      (p) => p.name,
      (i) => ['policies', i, 'name'],
      'a policy name',
    ),
  ];
}
