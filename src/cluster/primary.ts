/**
 * `hubtls run --workers N`: the primary. It owns the scenario, the timeline, the clock, fault
 * control, the device registry (twins, C2D, methods, telemetry), the admin API and the log; its N
 * workers hold the sockets (cluster/worker.ts). A worker relays each established session here
 * (serve/relay/), so every device is reachable from the service side whichever worker holds it; its
 * events are published on this bus, so /handshakes, SSE, metrics and the dashboard see every
 * worker's connections. Every change the timeline or the admin API makes is sent to every worker.
 */
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EventBus } from '../events/bus.js';
import { PkiStore } from '../pki/store.js';
import { miniCaps } from '../tls/engines/mini/index.js';
import { createRuntime, type RuntimeParts } from '../runtime/index.js';
import type { Change } from '../runtime/changes.js';
import { sessionStarter } from '../serve/sessions.js';
import { scenarioSource } from '../serve/scenario-source.js';
import { reloadHub, type ReloadResult } from '../serve/reload.js';
import { RelayServer } from '../serve/relay/primary-side.js';
import { publishStopped } from '../serve/listeners.js';
import { startScenarioAdmin, type Admin } from '../admin/start.js';
import type { ReadyEvent } from '../events/types.js';
import type { HubHandle, StartOptions } from './handle.js';
import { WorkerPool } from './pool.js';
import type { WorkerListener } from './messages.js';

/** A hub whose sockets are held by worker processes. */
export interface ClusterHub extends HubHandle {
  workers: WorkerPool;
}

/**
 * The changes since the scenario in force was loaded, for a worker that starts late (a restart):
 * drops are not kept (they acted on connections, not on state), nor clock moves (it gets the clock).
 */
class ChangeJournal {
  private changes: Change[] = [];

  add(c: Change): void {
    if (c.kind !== 'drop' && c.kind !== 'clock') this.changes.push(c);
  }

  all(): Change[] {
    return [...this.changes];
  }

  clear(): void {
    this.changes = [];
  }
}

export async function startClusterHub(o: StartOptions & { workers: number }): Promise<ClusterHub> {
  const bus = o.bus ?? new EventBus();
  const pki = await PkiStore.open(o.certsDir, { log: o.log });
  const source = scenarioSource(o, pki);
  const scenario = source.first;
  // Every chain, device certificate and key is generated here, before any worker opens the store.
  const runtime = await createRuntime(scenario, pki, bus, { mini: miniCaps });
  const journal = new ChangeJournal();
  let currentFile = o.scenarioFile;
  const relayPath = path.join(os.tmpdir(), `hubtls-relay-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const workers = new WorkerPool({
    count: o.workers,
    entry: o.workerEntry ?? process.argv[1]!,
    config: {
      startFile: o.scenarioFile,
      overrides: o.overrides,
      certsDir: o.certsDir,
      precheck: o.precheck,
      maxScenarioBytes: o.maxScenarioBytes,
      reloadDirs: o.reloadDirs,
      relayPath,
    },
    bus,
    currentFile: () => currentFile,
    startMessage: () => ({
      t: 'start',
      changes: journal.all(),
      clock: { now: runtime.clock.now().toISOString(), rate: runtime.clock.rate },
    }),
  });
  runtime.changes.on((change) => (journal.add(change), workers.broadcast({ t: 'change', change })));
  const { clock, devices, endpoints, connections } = runtime;
  const relay = new RelayServer({
    bus,
    startSession: sessionStarter({ bus, clock, devices, endpoints }),
    track: (endpoint, socket) => connections.track(endpoint, socket),
    trackSession: (socket, stream) => connections.session(socket, stream),
  });
  await relay.listen(relayPath);
  let bound: WorkerListener[];
  let admin: Admin | undefined;
  const reload = async (file = currentFile): Promise<ReloadResult> => {
    const r = await reloadCluster(runtime, workers, source, file);
    if (r.ok) {
      currentFile = await source.allow(file);
      journal.clear();
      bound = workers.listeners();
    }
    return r;
  };
  try {
    bound = await workers.start();
    const names = bound.map((l) => l.name);
    const msg = `listening on ${names.join(', ')} with ${o.workers} worker(s)`;
    bus.publish({ type: 'notice', level: 'info', what: 'listening', msg, ports: bound.map((l) => l.port) });
    const listenOf = (e: string) => bound.find((l) => l.endpoints.includes(e));
    admin = await startScenarioAdmin(runtime, scenario.admin, o.adminToken, { listenOf, reload });
  } catch (e) {
    await workers.close();
    await relay.close();
    throw e;
  }
  runtime.timeline.start(scenario.timeline);
  const ready: ReadyEvent = {
    type: 'ready',
    scenario: scenario.name,
    listeners: bound.map((l) => ({ address: l.host, port: l.port, endpoints: l.endpoints })),
    admin: admin && { url: admin.url },
  };
  bus.publish(ready);
  const stopAll = async (how: () => Promise<{ inFlight: number; ended: number }>) => {
    runtime.timeline.stop();
    const r = await how();
    await Promise.allSettled([relay.close(), admin?.app.close()]);
    return r;
  };
  return {
    runtime,
    bus,
    workers,
    admin: admin && { url: admin.url, token: admin.token, routes: admin.routes },
    ready,
    port: (endpoint) => (endpoint ? bound.find((l) => l.endpoints.includes(endpoint)) : bound[0])!.port,
    reload,
    close: async () => void (await stopAll(async () => (await workers.close(), { inFlight: 0, ended: 0 }))),
    shutdown: async (drainMs) => {
      const started = Date.now();
      publishStopped(bus, started, await stopAll(() => workers.shutdown(drainMs)));
    },
  };
}

/**
 * A reload with workers: each worker reloads the file first (validates it, binds new listeners —
 * through the primary, so they succeed or fail together — and commits); then the primary applies it
 * to the runtime it owns and runs the timeline of. A refusal leaves the running scenario everywhere.
 */
async function reloadCluster(
  runtime: RuntimeParts,
  workers: WorkerPool,
  source: ReturnType<typeof scenarioSource>,
  file: string,
): Promise<ReloadResult> {
  const results = await workers.reload(file);
  const refused = results.find((r) => !r.result.ok);
  const first = results[0]?.result;
  const failing = refused ? () => Promise.reject(new Error(refused.result.error)) : undefined;
  const listeners = {
    missing: () => [],
    bind: async () => (first?.listenersAdded ?? []).map((name) => ({ name, close: async () => {} })),
    swap: () => first?.listenersRemoved ?? [],
  };
  const compile = failing ?? source.compile;
  return reloadHub({ runtime, listeners, compile, allow: source.allow }, file);
}
