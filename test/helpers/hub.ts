/**
 * Starts a real hub on 127.0.0.1 port 0 for a test, with the shared test PKI, and records every
 * event it publishes. Scenarios can be given as files or as objects (written to a temp file).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Test } from 'tap';
import { startHub, type Hub } from '../../src/hub.js';
import { EventBus } from '../../src/events/bus.js';
import type { HandshakeEvent, HubEvent } from '../../src/events/types.js';
import { SHARED_DIR } from './pki.js';

export interface TestHub {
  hub: Hub;
  port: number;
  events: HubEvent[];
  handshakes(): HandshakeEvent[];
  /** Resolves with the first handshake event (already seen or future) matching `pred`. */
  nextHandshake(pred?: (e: HandshakeEvent) => boolean, timeoutMs?: number): Promise<HandshakeEvent>;
}

export function scenarioFile(doc: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-scenario-'));
  const file = path.join(dir, 'scenario.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export async function startTestHub(
  t: Test,
  scenario: string | object,
  /** `ephemeral`: every listener on a free port (scenarios with several ports; `hub.port(endpoint)` tells which). */
  opts: { handshakeTimeoutMs?: number; precheck?: boolean; ephemeral?: boolean } = {},
): Promise<TestHub> {
  const file =
    typeof scenario === 'string'
      ? scenario
      : scenarioFile({ handshakeTimeoutMs: opts.handshakeTimeoutMs, ...scenario });
  const bus = new EventBus();
  const events: HubEvent[] = [];
  const waiters: Array<{ pred: (e: HandshakeEvent) => boolean; resolve: (e: HandshakeEvent) => void }> = [];
  bus.subscribe((e) => {
    events.push(e);
    if (e.type !== 'handshake') return;
    for (const w of [...waiters]) {
      if (!w.pred(e)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  const hub = await startHub({
    scenarioFile: file,
    certsDir: SHARED_DIR,
    bus,
    overrides: opts.ephemeral ? { ephemeral: true, noAdmin: true } : { port: 0, noAdmin: true },
    precheck: opts.precheck,
  });
  t.teardown(() => hub.close());
  const handshakes = () => events.filter((e): e is HandshakeEvent => e.type === 'handshake');
  return {
    hub,
    port: hub.port(),
    events,
    handshakes,
    nextHandshake: (pred = () => true, timeoutMs = 10000) => {
      const seen = handshakes().find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching handshake event')), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

/** A one-endpoint scenario for a profile, the shape most policy tests need. */
export function oneEndpoint(
  profile: string,
  over: Record<string, unknown> = {},
): { name: string; endpoints: Array<Record<string, unknown>> } {
  return {
    name: `profile-${profile}`,
    endpoints: [{ name: 'hub', kind: 'iothub', hostnames: ['*.azure-devices.net'], profile, chain: 'g2', ...over }],
  };
}
