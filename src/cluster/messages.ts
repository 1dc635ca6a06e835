/**
 * What the primary and its workers say to each other over the cluster IPC channel (`--workers N`).
 * Sessions themselves do not travel here: their bytes go over the relay (serve/relay/).
 */
import type { HubEvent } from '../events/types.js';
import type { Change } from '../runtime/changes.js';
import type { ReloadResult } from '../serve/reload.js';
import type { Overrides } from '../scenario/compile.js';

/** What a worker is started with (the HUBTLS_WORKER environment variable, JSON). */
export interface WorkerConfig {
  /** The scenario file in force when the worker is forked (a reload may have replaced the first one). */
  scenarioFile: string;
  /** The file the hub was started with: reloads are allowed from its folder. */
  startFile: string;
  overrides?: Overrides;
  certsDir: string;
  precheck?: boolean;
  maxScenarioBytes?: number;
  reloadDirs?: readonly string[];
  /** The primary's relay socket (a Unix socket path). */
  relayPath: string;
  /** The worker's slot, 1…N: a restarted worker takes the slot of the one it replaces. */
  slot: number;
}

export const WORKER_ENV = 'HUBTLS_WORKER';

export interface WorkerListener {
  name: string;
  host: string;
  port: number;
  endpoints: string[];
}

export type ToWorker =
  /** Go: the changes made since the scenario in force was loaded (timeline steps, admin calls), then the clock. */
  | { t: 'start'; changes: Change[]; clock: { now: string; rate: number } }
  | { t: 'change'; change: Change }
  | { t: 'reload'; id: number; file: string }
  | { t: 'shutdown'; drainMs: number }
  | { t: 'close' };

export type FromWorker =
  /** Runtime built, chains loaded: waiting for `start`. */
  | { t: 'up' }
  | { t: 'listening'; listeners: WorkerListener[] }
  | { t: 'event'; event: HubEvent }
  | { t: 'reloaded'; id: number; result: ReloadResult; listeners: WorkerListener[] }
  | { t: 'stopped'; inFlight: number; ended: number }
  | { t: 'failed'; message: string; code?: string; hint?: string };

/**
 * Notices a worker publishes when it applies what the primary did (a mirrored change, a reload) or
 * starts and stops: the primary publishes its own, once, so the worker's copies stay local.
 */
export const PRIMARY_NOTICES: ReadonlySet<string> = new Set([
  'listening',
  'stopped',
  'reload',
  'reload-refused',
  'chain',
  'clock',
  'drop',
  'fault-start',
  'fault-stop',
  'profile',
  'rotate-leaf',
  'rotate-intermediate',
]);

/** Whether a worker's event goes to the primary (all but the notices above). */
export function forwarded(e: HubEvent): boolean {
  return !(e.type === 'notice' && PRIMARY_NOTICES.has(e.what));
}
