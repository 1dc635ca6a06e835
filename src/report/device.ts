/**
 * Runs the user's device command (firmware test harness, SDK sample, openssl s_client) in a shell
 * with the scenario's addresses in its environment, bounded in time; the whole process group is
 * killed on timeout so a hung device cannot hang CI.
 */
import { spawn } from 'node:child_process';
import type { Hub } from '../hub.js';

export interface DeviceResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, the last OUTPUT_LIMIT characters. */
  output: string;
}

const OUTPUT_LIMIT = 32_768;

export interface TrustFiles {
  dir: string;
  bundle: string;
  legacyBundle: string;
  deviceId: string;
  deviceCert: string;
  deviceKey: string;
}

/** The name a device dials for an endpoint: its first host name, "*" filled the way Azure's are. */
export function dialName(kind: 'iothub' | 'dps', hostnames: string[]): string {
  const h = hostnames[0] ?? 'localhost';
  return h.startsWith('*.') ? `${kind === 'dps' ? 'global' : 'myhub'}${h.slice(1)}` : h;
}

/** HUBTLS_HOST/PORT/HOSTNAME for the (first) hub, HUBTLS_DPS_* for DPS, HUBTLS_PORT_<ENDPOINT> for each, trust files, admin. */
export function deviceEnv(hub: Hub, trust: TrustFiles): Record<string, string> {
  const env: Record<string, string> = {
    HUBTLS_SCENARIO: hub.runtime.scenario.current.name,
    HUBTLS_SCENARIO_FILE: hub.runtime.scenario.current.file,
    HUBTLS_CA: trust.bundle,
    HUBTLS_CA_LEGACY: trust.legacyBundle,
    HUBTLS_CA_DIR: trust.dir,
    HUBTLS_DEVICE_ID: trust.deviceId,
    HUBTLS_DEVICE_CERT: trust.deviceCert,
    HUBTLS_DEVICE_KEY: trust.deviceKey,
  };
  const eps = hub.runtime.endpoints.list();
  for (const ep of eps) env[`HUBTLS_PORT_${ep.name.toUpperCase().replace(/-/g, '_')}`] = String(hub.port(ep.name));
  for (const [prefix, ep] of [
    ['HUBTLS', eps.find((e) => e.kind === 'iothub') ?? eps[0]],
    ['HUBTLS_DPS', eps.find((e) => e.kind === 'dps')],
  ] as const) {
    if (!ep) continue;
    Object.assign(env, {
      [`${prefix}_HOST`]: ep.host === '0.0.0.0' ? '127.0.0.1' : ep.host,
      [`${prefix}_PORT`]: String(hub.port(ep.name)),
      [`${prefix}_HOSTNAME`]: dialName(ep.kind, ep.hostnames),
    });
  }
  if (hub.admin) Object.assign(env, { HUBTLS_ADMIN_URL: hub.admin.url, HUBTLS_ADMIN_TOKEN: hub.admin.token });
  return env;
}

/** Device commands run in their own process group, out of reach of the terminal's Ctrl-C: end them with us. */
const running = new Set<number>();
const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
};
const killGroup = (pid: number) => signalGroup(pid, 'SIGKILL');
let exitHooked = false;
function endWithUs(pid: number): void {
  running.add(pid);
  if (!exitHooked) process.once('exit', killRunningDevices);
  exitHooked = true;
}

/** Kills every device command still running (the CLI calls it on Ctrl-C). */
export function killRunningDevices(): void {
  running.forEach(killGroup);
}

const STOP_GRACE_MS = 2000;

/**
 * `stop` (qualify: the case has seen what it needs) ends the command early: SIGTERM to its process
 * group, SIGKILL after a 2 s grace. `timedOut` stays false for such a stop.
 */
export function runDevice(
  command: string,
  env: Record<string, string>,
  timeoutMs: number,
  stop?: Promise<unknown>,
): Promise<DeviceResult> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid) endWithUs(child.pid);
    let output = '';
    let timedOut = false;
    const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-OUTPUT_LIMIT));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    void stop?.then(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid!, 'SIGTERM');
      grace = setTimeout(() => killGroup(child.pid!), STOP_GRACE_MS);
    });
    child.on('error', (e) => keep(Buffer.from(`\nhubtls: cannot start the device command: ${e.message}\n`)));
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      running.delete(child.pid!);
      resolve({ exitCode, signal, timedOut, output });
    });
  });
}
