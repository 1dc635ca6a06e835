/** The options and the handle of a running hub, shared by one-process hubs (hub.ts) and `--workers N` (cluster/). */
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../events/logger.js';
import type { ReadyEvent } from '../events/types.js';
import type { RuntimeParts } from '../runtime/index.js';
import type { Overrides } from '../scenario/compile.js';
import type { ReloadResult } from '../serve/reload.js';
import type { AdminRoute } from '../admin/start.js';

export type { AdminRoute };

export interface StartOptions {
  scenarioFile: string;
  overrides?: Overrides;
  certsDir: string;
  bus?: EventBus;
  log?: Logger;
  adminToken?: string;
  /**
   * false: refusals predicted by decide() are logged but the handshake still goes to OpenSSL, so a
   * test can prove OpenSSL's own configuration enforces the same table. Default true.
   */
  precheck?: boolean;
  /** Scenario files over this many bytes are refused before parsing, at start and on reload (default 4 MiB). */
  maxScenarioBytes?: number;
  /** Folders besides the scenario's own whose .yaml/.yml files a reload may read (serve/reload-files.ts). */
  reloadDirs?: readonly string[];
  /** Serve with this many worker processes (cluster/): the primary keeps the core, workers hold sockets. */
  workers?: number;
  /** The script a worker runs: the hubtls CLI (default: this process's own script). */
  workerEntry?: string;
}

/** What every running hub offers, in one process or as a primary with workers (`--workers N`). */
export interface HubHandle {
  /** The running scenario's parts: endpoints, faults, connections, devices, timeline, clock. */
  runtime: RuntimeParts;
  bus: EventBus;
  /** `routes`: every route the admin plane registered (so tests can check each one's guard). */
  admin?: { url: string; token: string; routes: AdminRoute[] };
  ready: ReadyEvent;
  /** Port of the listener serving `endpoint` (the first listener when omitted). */
  port(endpoint?: string): number;
  /** Hot reload (SIGHUP, file change): validates `file` (default: the running one) first; see serve/reload.ts. */
  reload(file?: string): Promise<ReloadResult>;
  /** Stops at once: listeners closed, every connection dropped. */
  close(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): no new connections, handshakes in flight get `drainMs` to finish,
   * sessions are ended with close_notify, then the admin plane closes and a `stopped` notice is
   * published.
   */
  shutdown(drainMs: number): Promise<void>;
}
