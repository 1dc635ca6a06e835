/** Every qualification case, in the order `hubtls qualify` runs and lists them. Adding one: a case object and a line here. */
import { TLS_CASES } from './cases-tls.js';
import { MQTT_CASES } from './cases-mqtt.js';
import type { QualifyCase } from './types.js';

export const CASES: readonly QualifyCase[] = [...TLS_CASES, ...MQTT_CASES];

/** The cases named (in the order given); throws naming the unknown ids. */
export function pickCases(ids: string[] | undefined): QualifyCase[] {
  if (!ids || ids.length === 0) return [...CASES];
  const unknown = ids.filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length)
    throw new Error(`unknown case ${unknown.join(', ')}; known: ${CASES.map((c) => c.id).join(', ')}`);
  return ids.map((id) => CASES.find((c) => c.id === id)!);
}
