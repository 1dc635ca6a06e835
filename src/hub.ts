/**
 * Assembles a running hub from a scenario file: validate everything, load certificates, bind
 * listeners, start the admin plane, announce `ready`. Used by `hubtls run` and by tests.
 * Nothing is left half-started: any failure closes what was opened and rethrows.
 */
import { EventBus } from './events/bus.js';
import { PkiStore } from './pki/store.js';
import { scenarioSource } from './serve/scenario-source.js';
import { miniCaps } from './tls/engines/mini/index.js';
import { createRuntime, type RuntimeParts } from './runtime/index.js';
import { ListenerSet, publishStopped } from './serve/listeners.js';
import { listenerDeps, serveSettings } from './serve/deps.js';
import { reloadHub } from './serve/reload.js';
import type { AdminHooks } from './admin/context.js';
import { startScenarioAdmin, type Admin } from './admin/start.js';
import type { ReadyEvent } from './events/types.js';
import type { HubHandle, StartOptions } from './cluster/handle.js';
import { startClusterHub } from './cluster/primary.js';

export type { AdminRoute, HubHandle, StartOptions } from './cluster/handle.js';

/** A hub in one process: its listeners are here. */
export interface Hub extends HubHandle {
  listeners: ListenerSet;
}

export async function startHub(o: StartOptions): Promise<Hub> {
  const bus = o.bus ?? new EventBus();
  const pki = await PkiStore.open(o.certsDir, { log: o.log });
  const { first: scenario, compile, allow } = scenarioSource(o, pki);
  const runtime = await createRuntime(scenario, pki, bus, { mini: miniCaps });
  const listeners = new ListenerSet(listenerDeps(runtime, serveSettings(scenario, bus, o)));
  const reload = (file = o.scenarioFile) => reloadHub({ runtime, listeners, compile, allow }, file);
  let admin: Admin | undefined;
  try {
    await listeners.start(scenario.listeners);
    // Devices can connect from here on; `ready` follows once the admin plane is up too.
    const bound = listeners.all();
    bus.publish({
      type: 'notice',
      level: 'info',
      what: 'listening',
      msg: `listening on ${bound.map((l) => l.name).join(', ')}`,
      ports: bound.map((l) => l.port),
    });
    const hooks: AdminHooks = { listenOf: (e) => listeners.listenOf(e), reload };
    admin = await startScenarioAdmin(runtime, scenario.admin, o.adminToken, hooks);
  } catch (e) {
    await listeners.close();
    throw e;
  }
  runtime.timeline.start(scenario.timeline);
  return assemble(runtime, listeners, admin, reload);
}

async function shutdownAll(
  runtime: RuntimeParts,
  listeners: ListenerSet,
  admin: Admin | undefined,
  drainMs: number,
): Promise<void> {
  const started = Date.now();
  runtime.timeline.stop();
  const drained = await listeners.shutdown(drainMs);
  await admin?.app.close().catch(() => {});
  publishStopped(runtime.bus, started, drained);
}

function assemble(runtime: RuntimeParts, listeners: ListenerSet, admin: Admin | undefined, reload: Hub['reload']): Hub {
  const ready: ReadyEvent = {
    type: 'ready',
    scenario: runtime.scenario.current.name,
    listeners: listeners.all().map((l) => ({ address: l.spec.host, port: l.port, endpoints: l.spec.endpoints })),
    admin: admin && { url: admin.url },
  };
  runtime.bus.publish(ready);
  return {
    runtime,
    bus: runtime.bus,
    listeners,
    admin: admin && { url: admin.url, token: admin.token, routes: admin.routes },
    ready,
    port: (endpoint) => listeners.port(endpoint),
    reload,
    close: async () => {
      runtime.timeline.stop();
      await Promise.allSettled([listeners.close(), admin?.app.close()]);
    },
    shutdown: (drainMs) => shutdownAll(runtime, listeners, admin, drainMs),
  };
}

/**
 * `hubtls run`: one process, or with `workers` a primary that keeps the hub core and N worker
 * processes that hold the sockets (src/cluster/; `--workers 1` is the cluster with one worker).
 */
export async function startServing(o: StartOptions): Promise<HubHandle> {
  return o.workers ? startClusterHub({ ...o, workers: o.workers }) : startHub(o);
}
