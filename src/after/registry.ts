/**
 * After-TLS modes by name. Adding one is one file in this folder (a `defineAfterMode` definition
 * with its options schema) and one line here; the scenario schema and validation follow from it.
 */
import type { AfterTlsMode } from './types.js';
import { holdMode } from './hold.js';
import { closeMode } from './close.js';
import { mqttMode } from './mqtt/mode.js';
import { httpsMode } from './https.js';
import { forwardMode } from './forward.js';
import { amqpMode } from './amqp/mode.js';

export const AFTER_MODES: readonly AfterTlsMode[] = [holdMode, closeMode, mqttMode, httpsMode, forwardMode, amqpMode];

const BY_NAME = new Map(AFTER_MODES.map((m) => [m.name, m]));

export function afterModeNames(): string[] {
  return AFTER_MODES.map((m) => m.name);
}

export function findAfterMode(name: string): AfterTlsMode | undefined {
  return BY_NAME.get(name);
}

export function afterMode(name: string): AfterTlsMode {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`unknown after-TLS mode ${name}`);
  return m;
}
