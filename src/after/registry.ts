/**
 * After-TLS modes by name. Adding one is one file in this folder and one line here.
 */
import type { AfterTlsMode } from './types.js';
import { holdMode } from './hold.js';
import { closeMode } from './close.js';
import { mqttMode } from './mqtt/mode.js';
import { httpsMode } from './https.js';
import { forwardMode } from './forward.js';

const MODES = new Map<string, AfterTlsMode>([holdMode, closeMode, mqttMode, httpsMode, forwardMode].map((m) => [m.name, m]));

export function afterModeNames(): string[] {
  return [...MODES.keys()];
}

export function afterMode(name: string): AfterTlsMode {
  const m = MODES.get(name);
  if (!m) throw new Error(`unknown after-TLS mode ${name}`);
  return m;
}
