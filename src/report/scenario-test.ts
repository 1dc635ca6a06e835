/**
 * One scenario under `hubtls test`: start it on free ports, run the device command against it,
 * wait until every connection it made has its verdict, compare with the scenario's `expect:`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHub, type Hub } from '../hub.js';
import { EventBus } from '../events/bus.js';
import type { HandshakeEvent } from '../events/types.js';
import { adminToken } from '../admin/token.js';
import { exportTrust } from '../pki/export.js';
import type { PkiStore } from '../pki/store.js';
import { loadScenario } from '../scenario/load.js';
import { afterModeNames } from '../after/registry.js';
import type { ExpectFile } from '../scenario/schema.js';
import { deviceEnv, runDevice, type TrustFiles } from './device.js';
import { mismatches } from './expect.js';

/** 'warn' (hubtls qualify): passed with a finding; never fails the run. */
export type RunStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export interface ScenarioRun {
  file: string;
  name: string;
  status: RunStatus;
  durationMs: number;
  expect?: ExpectFile;
  exitCode?: number | null;
  handshakes: HandshakeEvent[];
  /** Why it failed (fail), what went wrong (error) or why it was skipped (skip). */
  problems: string[];
  output: string;
}

export interface ScenarioTestOptions {
  client: string;
  pki: PkiStore;
  trust: TrustFiles;
  /** Default time limit for the device command (a scenario's expect.timeoutSeconds wins). */
  timeoutMs: number;
}

const DEVICE_ID = 'hubtls-device';

/** Roots, bundles and one device certificate in a temp dir, once per `hubtls test` run. */
export async function prepareTrust(pki: PkiStore): Promise<TrustFiles> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-test-trust-'));
  await exportTrust(pki, { out: dir, format: 'pem', include: ['roots', 'bundles'] });
  const dev = await pki.deviceCert(DEVICE_ID);
  const deviceCert = path.join(dir, `${DEVICE_ID}.chain.pem`);
  const deviceKey = path.join(dir, `${DEVICE_ID}.key.pem`);
  writeFileSync(deviceCert, dev.chainPem);
  writeFileSync(deviceKey, dev.keyPem, { mode: 0o600 });
  return {
    dir,
    bundle: path.join(dir, 'azure-roots-bundle.pem'),
    legacyBundle: path.join(dir, 'azure-roots-legacy-bundle.pem'),
    deviceId: DEVICE_ID,
    deviceCert,
    deviceKey,
  };
}

/** Resolves once every accepted connection has published its handshake event (or at the deadline). */
function settled(hub: Hub, events: HandshakeEvent[], deadlineMs: number): Promise<void> {
  const accepted = () => hub.listeners.accepted();
  if (events.length >= accepted()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => (clearTimeout(timer), unsubscribe(), resolve());
    const timer = setTimeout(done, deadlineMs);
    const unsubscribe = hub.bus.subscribe(() => events.length >= accepted() && done());
  });
}

function expectOf(file: string, pki: PkiStore): { name: string; expect?: ExpectFile } {
  const doc = loadScenario(file, { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() }).doc;
  return { name: doc.name, expect: doc.expect };
}

async function runAgainst(hub: Hub, expect: ExpectFile, o: ScenarioTestOptions, events: HandshakeEvent[]) {
  const timeoutMs = expect.timeoutSeconds ? expect.timeoutSeconds * 1000 : o.timeoutMs;
  const device = await runDevice(o.client, deviceEnv(hub, o.trust), timeoutMs);
  await settled(hub, events, hub.runtime.scenario.current.handshakeTimeoutMs + 2000);
  const problems = mismatches(expect, { ...device, timeoutMs, handshakes: events });
  return { device, problems };
}

export async function runScenarioTest(file: string, o: ScenarioTestOptions): Promise<ScenarioRun> {
  const t0 = performance.now();
  const base = { file, name: path.basename(file), handshakes: [] as HandshakeEvent[], output: '' };
  const done = (r: Partial<ScenarioRun> & Pick<ScenarioRun, 'status' | 'problems'>): ScenarioRun => ({
    ...base,
    ...r,
    durationMs: Math.round(performance.now() - t0),
  });
  let hub: Hub | undefined;
  try {
    const { name, expect } = expectOf(file, o.pki);
    base.name = name;
    if (!expect) return done({ status: 'skip', problems: ['no expect: block'] });
    const bus = new EventBus();
    bus.subscribe((e) => e.type === 'handshake' && base.handshakes.push(e));
    hub = await startHub({
      scenarioFile: file,
      certsDir: o.pki.dir,
      bus,
      adminToken: adminToken({}),
      overrides: { ephemeral: true, adminPort: 0 },
    });
    const { device, problems } = await runAgainst(hub, expect, o, base.handshakes);
    return done({
      status: problems.length ? 'fail' : 'pass',
      problems,
      expect,
      exitCode: device.exitCode,
      output: device.output,
    });
  } catch (e) {
    return done({ status: 'error', problems: [(e as Error).message] });
  } finally {
    await hub?.close();
  }
}
