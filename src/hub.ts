/**
 * Assembles a running hub from a scenario file: validate everything, load certificates, bind
 * listeners, start the admin plane, announce `ready`. Used by `hubtls run` and by tests.
 * Nothing is left half-started: any failure closes what was opened and rethrows.
 */
import type { FastifyInstance } from 'fastify';
import { EventBus } from './events/bus.js';
import { HubtlsError } from './errors.js';
import { PkiStore } from './pki/store.js';
import { loadScenario } from './scenario/load.js';
import { loadScenarioOffThread } from './scenario/load-async.js';
import { compileScenario, type CompiledScenario, type Overrides } from './scenario/compile.js';
import { ContextCache } from './tls/contexts.js';
import { opensslEngine } from './tls/engines/openssl.js';
import { miniEngine, miniCaps } from './tls/engines/mini/index.js';
import { afterModeNames } from './after/registry.js';
import { createRuntime, type RuntimeParts } from './runtime/index.js';
import { ConnectionLimits } from './serve/limits.js';
import { ListenerSet } from './serve/listeners.js';
import { listenerDeps } from './serve/deps.js';
import { reloadHub, type ReloadResult } from './serve/reload.js';
import { reloadFileGate } from './serve/reload-files.js';
import type { AdminHooks } from './admin/context.js';
import { adminToken } from './admin/token.js';
import { isLoopback } from './util/loopback.js';
import type { Logger } from './events/logger.js';
import type { ReadyEvent } from './events/types.js';

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
}

export interface AdminRoute {
  method: string;
  url: string;
}

export interface Hub {
  /** The running scenario's parts: endpoints, faults, connections, devices, timeline, clock. */
  runtime: RuntimeParts;
  bus: EventBus;
  listeners: ListenerSet;
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

type Admin = Awaited<ReturnType<typeof startAdmin>>;

export async function startHub(o: StartOptions): Promise<Hub> {
  const bus = o.bus ?? new EventBus();
  const pki = await PkiStore.open(o.certsDir, { log: o.log });
  const ctx = () => ({ chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
  const limits = { maxBytes: o.maxScenarioBytes };
  // At start nothing is served yet: load here. A reload parses on a worker thread (load-async.ts).
  const scenario = compileScenario(loadScenario(o.scenarioFile, ctx(), limits), o.overrides);
  const compile = async (file: string): Promise<CompiledScenario> =>
    compileScenario(await loadScenarioOffThread(file, ctx(), limits), o.overrides);
  const allow = reloadFileGate(o.scenarioFile, o.reloadDirs);
  const runtime = await createRuntime(scenario, pki, bus, { mini: miniCaps });
  const listeners = new ListenerSet(
    listenerDeps(runtime, {
      bus,
      contexts: new ContextCache(),
      engines: { openssl: opensslEngine, mini: miniEngine },
      limits: new ConnectionLimits(scenario.limits, bus),
      handshakeTimeoutMs: scenario.handshakeTimeoutMs,
      precheck: o.precheck ?? true,
    }),
  );
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
    admin = scenario.admin.enabled
      ? await startAdmin(runtime, scenario.admin, o.adminToken ?? adminToken(), hooks)
      : undefined;
    if (admin && !isLoopback(scenario.admin.host)) warnAdminExposed(bus, scenario.admin.host, admin.url);
  } catch (e) {
    await listeners.close();
    throw e;
  }
  runtime.timeline.start(scenario.timeline);
  return assemble(runtime, listeners, admin, reload);
}

async function startAdmin(
  runtime: RuntimeParts,
  cfg: { host: string; port: number },
  token: string,
  hooks: AdminHooks,
) {
  // Loaded here, after the TLS listeners are bound: devices can connect while fastify loads.
  const [{ default: Fastify }, { adminPlugin }] = await Promise.all([import('fastify'), import('./admin/app.js')]);
  const app: FastifyInstance = Fastify({ logger: false });
  const routes: AdminRoute[] = [];
  app.addHook('onRoute', (r) => void [r.method].flat().forEach((method) => routes.push({ method, url: r.url })));
  await app.register(adminPlugin, { runtime, token, hooks });
  try {
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (e) {
    await app.close();
    throw new HubtlsError(
      'HUBTLS_ADMIN_PORT',
      `cannot start the admin API on ${cfg.host}:${cfg.port}: ${(e as Error).message}`,
      'pick another port with --admin-port N (0 = any free port) or --no-admin',
    );
  }
  const a = app.server.address() as { port: number };
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return { app, url: `http://${host}:${a.port}`, token, routes };
}

/** Asked for explicitly (--admin-host or admin.host), but never silently: the admin API changes the hub. */
function warnAdminExposed(bus: EventBus, host: string, url: string): void {
  const msg = `the admin API listens on ${host}, beyond loopback (${url}): anyone who reaches this address with the token can change the hub and download certificates`;
  bus.publish({ type: 'notice', level: 'warn', what: 'admin-exposed', msg, host });
}

async function shutdownAll(
  runtime: RuntimeParts,
  listeners: ListenerSet,
  admin: Admin | undefined,
  drainMs: number,
): Promise<void> {
  const started = Date.now();
  runtime.timeline.stop();
  const { inFlight, ended } = await listeners.shutdown(drainMs);
  await admin?.app.close().catch(() => {});
  const msg = `stopped: ${inFlight} handshake(s) in flight drained, ${ended} connection(s) closed in ${Date.now() - started} ms`;
  runtime.bus.publish({ type: 'notice', level: 'info', what: 'stopped', msg, inFlight, closed: ended });
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
