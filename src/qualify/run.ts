/**
 * Runs one case: its scenario on free ports, the device command with the case's credentials in its
 * environment, the case's control on the live hub, and a stop (SIGTERM) as soon as the case has
 * seen what it needs or its time limit is up; then the grade from what was recorded.
 */
import { randomBytes } from 'node:crypto';
import { startHub, type Hub } from '../hub.js';
import { EventBus } from '../events/bus.js';
import type { HubEvent } from '../events/types.js';
import { adminToken } from '../admin/token.js';
import type { PkiStore } from '../pki/store.js';
import type { ScenarioRun } from '../report/scenario-test.js';
import { deviceEnv, runDevice, type TrustFiles } from '../report/device.js';
import { withholdAcks } from '../after/mqtt/withhold.js';
import { openRefusal } from '../after/inband-faults.js';
import { readFileSync } from 'node:fs';
import { connectionString, HUB_HOST, writeCaseScenario, type DeviceAuth } from './scenario.js';
import { connectTwin } from './twin.js';
import { settled } from './recording.js';
import type { CaseHub, Graded, QualifyCase, Recording } from './types.js';

export interface QualifyRun extends ScenarioRun {
  caseId: string;
  title: string;
  graded?: Graded;
  source: string;
}

export interface QualifyOptions {
  client: string;
  pki: PkiStore;
  trust: TrustFiles;
  /** How the device authenticates (default sas). */
  auth?: DeviceAuth;
  /** Caps every case's time limit (ms); undefined: each case's own. */
  caseTimeoutMs?: number;
}

const TICK_MS = 250;
const STATUS = { pass: 'pass', warn: 'warn', fail: 'fail', na: 'skip' } as const;

function emptyRecording(): Recording {
  return {
    handshakes: [],
    verdicts: [],
    sessions: [],
    open: 0,
    drops: [],
    device: { exitCode: null, stoppedByCase: false, timedOut: false },
  };
}

function record(rec: Recording, e: HubEvent, t: number): void {
  if (e.type === 'handshake') rec.handshakes.push({ ...e, t });
  else if (e.type === 'verdict') rec.verdicts.push({ ...e, t });
  else if (e.type === 'session') rec.sessions.push({ ...e, t });
}

interface CaseDevice {
  deviceId: string;
  key: string;
  ca: string;
  /** X.509 devices: the certificate chain and key the second instance presents. */
  x509?: { cert: string; key: string };
  /** Close functions of what the case opened (the second instance). */
  opened: Array<() => void>;
}

function caseHub(hub: Hub, dev: CaseDevice, rec: Recording, clock: () => number): CaseHub {
  const { deviceId } = dev;
  return {
    done: new Set(),
    drop: () => (rec.drops.push(clock()), hub.runtime.connections.drop('hub')),
    withhold: (kind, count) => withholdAcks(hub.runtime.devices, deviceId, kind, count),
    startFault: (id) => void hub.runtime.faults.start(id),
    throttle: (seconds) => {
      openRefusal(hub.runtime.devices, deviceId, 'InvokeThrottling', seconds);
      rec.drops.push(clock());
      hub.runtime.connections.drop('hub');
    },
    connectTwin: () => {
      rec.drops.push(clock());
      const twin = { port: hub.port('hub'), hubHost: HUB_HOST, deviceId, key: dev.key, ca: dev.ca, x509: dev.x509 };
      connectTwin(twin).then(
        (close) => dev.opened.push(close),
        () => {},
      );
    },
    sendC2D: (bytes) => void hub.runtime.devices.sendC2D(deviceId, Buffer.alloc(bytes, 'x')),
  };
}

/** Resolves when the case has seen enough or its limit is up (whichever first); control runs on each event and tick. */
function watch(c: QualifyCase, hub: Hub, rec: Recording, ctl: CaseHub, clock: () => number, limitMs: number) {
  let finish!: (why: 'enough' | 'limit') => void;
  const stopped = new Promise<'enough' | 'limit'>((resolve) => (finish = resolve));
  const check = () => {
    const now = clock();
    rec.open = hub.runtime.connections.open('hub');
    c.control?.(rec, ctl, now);
    if (c.enough(rec, now)) finish('enough');
    else if (now >= limitMs) finish('limit');
  };
  const tick = setInterval(check, TICK_MS);
  const unsubscribe = hub.bus.subscribe((e) => (record(rec, e, clock()), check()));
  return { stopped, end: () => (clearInterval(tick), unsubscribe()) };
}

/** After the device is gone: waits (bounded) until every connection's verdict is final. */
async function settle(hub: Hub, rec: Recording, clock: () => number): Promise<void> {
  const deadline = clock() + 3000;
  const unsettled = () => {
    rec.open = hub.runtime.connections.open('hub');
    return rec.handshakes.length < hub.listeners.accepted() || rec.handshakes.some((h) => !settled(rec, h, clock()));
  };
  // Polled, bounded: the last verdicts arrive as the device's connections close.
  while (unsettled() && clock() < deadline) await new Promise((r) => setTimeout(r, 100));
}

export async function runCase(c: QualifyCase, o: QualifyOptions): Promise<QualifyRun> {
  const t0 = performance.now();
  const base = { file: c.id, name: c.id, caseId: c.id, title: c.title, source: c.source, output: '' };
  const rec = emptyRecording();
  let hub: Hub | undefined;
  const done = (r: Partial<QualifyRun> & Pick<QualifyRun, 'status' | 'problems'>): QualifyRun => ({
    ...base,
    handshakes: rec.handshakes,
    ...r,
    durationMs: Math.round(performance.now() - t0),
  });
  try {
    const deviceId = o.trust.deviceId;
    const auth = o.auth ?? 'sas';
    const sc = writeCaseScenario(c, deviceId, auth);
    hub = await startHub({
      scenarioFile: sc.file,
      certsDir: o.pki.dir,
      bus: new EventBus(),
      adminToken: adminToken({}),
      overrides: { ephemeral: true, adminPort: 0 },
    });
    const key = c.credentials === 'sas-wrong-key' ? randomBytes(32).toString('base64') : sc.key;
    const env = {
      ...deviceEnv(hub, o.trust),
      HUBTLS_DEVICE_CONNECTION_STRING: connectionString(deviceId, key, hub.port('hub'), auth),
      HUBTLS_QUALIFY_CASE: c.id,
    };
    const limitMs = Math.min(c.limitMs, o.caseTimeoutMs ?? Infinity);
    const start = performance.now();
    const clock = () => performance.now() - start;
    const x509 =
      auth === 'x509'
        ? { cert: readFileSync(o.trust.deviceCert, 'utf8'), key: readFileSync(o.trust.deviceKey, 'utf8') }
        : undefined;
    const dev = {
      deviceId,
      key: sc.key,
      ca: readFileSync(o.trust.bundle, 'utf8'),
      x509,
      opened: [] as Array<() => void>,
    };
    const ctl = caseHub(hub, dev, rec, clock);
    const w = watch(c, hub, rec, ctl, clock, limitMs);
    const device = await runDevice(o.client, env, limitMs + 5000, w.stopped);
    w.end();
    dev.opened.forEach((close) => close());
    await settle(hub, rec, clock);
    rec.device = { exitCode: device.exitCode, stoppedByCase: device.signal === 'SIGTERM', timedOut: device.timedOut };
    const graded = c.grade(rec);
    const problems = [...graded.evidence, ...(graded.fix ? [`fix: ${graded.fix}`] : [])];
    return done({ status: STATUS[graded.grade], problems, graded, exitCode: device.exitCode, output: device.output });
  } catch (e) {
    return done({ status: 'error', problems: [(e as Error).message] });
  } finally {
    await hub?.close();
  }
}
