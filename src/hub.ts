/**
 * Assembles a running hub from a scenario file: validate everything, load certificates, bind
 * listeners, start the admin plane, announce `ready`. Used by `hubtls run` and by tests.
 * Nothing is left half-started: any failure closes what was opened and rethrows.
 */
import type { FastifyInstance } from 'fastify';
import { EventBus } from './events/bus.js';
import { HubtlsError } from './errors.js';
import { PkiStore } from './pki/store.js';
import { Runtime } from './scenario/runtime.js';
import { loadScenario } from './scenario/load.js';
import { compileScenario, type Overrides } from './scenario/compile.js';
import { ContextCache } from './tls/contexts.js';
import { HubListener, type ListenerDeps } from './tls/listener.js';
import { opensslEngine } from './tls/engines/openssl.js';
import { miniEngine, miniCaps } from './tls/engines/mini/index.js';
import { afterModeNames } from './after/registry.js';
import type { AdminHooks } from './admin/context.js';
import { adminToken } from './admin/token.js';
import { ConnectionLimits } from './tls/limits.js';
import { isLoopback } from './util/loopback.js';
import type { Logger } from './events/logger.js';
import type { ReadyEvent } from './events/types.js';
import { startTimeline } from './scenario/timeline-actions.js';
import { reloadHub, type ReloadResult } from './scenario/reload.js';

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
}

export interface AdminRoute {
  method: string;
  url: string;
}

export interface Hub {
  runtime: Runtime;
  bus: EventBus;
  listeners: HubListener[];
  /** `routes`: every route the admin plane registered (so tests can check each one's guard). */
  admin?: { url: string; token: string; routes: AdminRoute[] };
  ready: ReadyEvent;
  /** Port of the listener serving `endpoint` (the first listener when omitted). */
  port(endpoint?: string): number;
  /** Hot reload (SIGHUP, file change): validates `file` (default: the running one) first; see scenario/reload.ts. */
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

export async function startHub(o: StartOptions): Promise<Hub> {
  const bus = o.bus ?? new EventBus();
  const pki = await PkiStore.open(o.certsDir, { log: o.log });
  const loaded = loadScenario(o.scenarioFile, { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
  const scenario = compileScenario(loaded, o.overrides);
  const runtime = new Runtime(scenario, pki, bus);
  await runtime.prepare();
  runtime.mini = miniCaps;
  const limits = new ConnectionLimits(scenario.limits, bus);
  const deps: ListenerDeps = { runtime, bus, contexts: new ContextCache(), engines: { openssl: opensslEngine, mini: miniEngine }, handshakeTimeoutMs: scenario.handshakeTimeoutMs, precheck: o.precheck ?? true, limits };
  const listeners = scenario.listeners.map((spec) => new HubListener(spec, deps));
  const opened: Array<{ close(): Promise<void> }> = [];
  try {
    for (const l of listeners) opened.push((await l.listen(), l));
    // Devices can connect from here on; `ready` follows once the admin plane is up too.
    bus.publish({ type: 'notice', level: 'info', what: 'listening', msg: `listening on ${listeners.map((l) => l.name).join(', ')}`, ports: listeners.map((l) => l.port) });
    // The admin plane starts before the hub object exists; its reload route reaches hub.reload through this.
    const late: { reload?: Hub['reload'] } = {};
    const hooks: AdminHooks = { listenOf: listenOf(listeners), reload: (file) => late.reload!(file) };
    const admin = scenario.admin.enabled ? await startAdmin(runtime, scenario.admin, o.adminToken ?? adminToken(), hooks) : undefined;
    if (admin) opened.push({ close: () => admin.app.close() });
    if (admin && !isLoopback(scenario.admin.host)) warnAdminExposed(bus, scenario.admin.host, admin.url);
    const hub = assemble(runtime, bus, listeners, admin, opened);
    const target = { runtime, bus, pki, deps, listeners, overrides: o.overrides };
    hub.reload = (file = o.scenarioFile) => reloadHub(target, file);
    late.reload = hub.reload;
    startTimeline(runtime);
    return hub;
  } catch (e) {
    await Promise.allSettled(opened.map((x) => x.close()));
    throw e;
  }
}

/** The bound address of the listener serving an endpoint (the scenario may say port 0; a reload may add listeners). */
function listenOf(listeners: HubListener[]): (endpoint: string) => { host: string; port: number } | undefined {
  return (endpoint) => {
    const l = listeners.find((x) => x.spec.endpoints.includes(endpoint));
    return l && { host: l.spec.host, port: l.port };
  };
}

async function startAdmin(runtime: Runtime, cfg: { host: string; port: number }, token: string, hooks: AdminHooks) {
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
    throw new HubtlsError('HUBTLS_ADMIN_PORT', `cannot start the admin API on ${cfg.host}:${cfg.port}: ${(e as Error).message}`, 'pick another port with --admin-port N (0 = any free port) or --no-admin');
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

async function shutdownAll(runtime: Runtime, bus: EventBus, listeners: HubListener[], opened: Array<{ close(): Promise<void> }>, drainMs: number): Promise<void> {
  const started = Date.now();
  runtime.timeline?.stop();
  // `listeners` is current (a reload may have added some); `opened` holds the admin API besides.
  const done = await Promise.all(listeners.map((l) => l.shutdown(drainMs)));
  await Promise.allSettled(opened.filter((x) => !(x instanceof HubListener)).map((x) => x.close()));
  const sum = (k: 'inFlight' | 'ended') => done.reduce((n, d) => n + d[k], 0);
  const msg = `stopped: ${sum('inFlight')} handshake(s) in flight drained, ${sum('ended')} connection(s) closed in ${Date.now() - started} ms`;
  bus.publish({ type: 'notice', level: 'info', what: 'stopped', msg, inFlight: sum('inFlight'), closed: sum('ended') });
}

function assemble(runtime: Runtime, bus: EventBus, listeners: HubListener[], admin: Awaited<ReturnType<typeof startAdmin>> | undefined, opened: Array<{ close(): Promise<void> }>): Hub {
  const ready: ReadyEvent = {
    type: 'ready',
    scenario: runtime.scenario.name,
    listeners: listeners.map((l) => ({ address: l.spec.host, port: l.port, endpoints: l.spec.endpoints })),
    admin: admin && { url: admin.url },
  };
  bus.publish(ready);
  return {
    runtime,
    bus,
    listeners,
    admin: admin && { url: admin.url, token: admin.token, routes: admin.routes },
    ready,
    port: (endpoint) => (endpoint ? listeners.find((l) => l.spec.endpoints.includes(endpoint)) : listeners[0])!.port,
    reload: () => Promise.reject(new Error('not started')),
    close: async () => {
      runtime.timeline?.stop();
      // `listeners` is current (a reload may have added some): close them all, and the admin API.
      await Promise.allSettled([...listeners.map((l) => l.close()), ...opened.filter((x) => !(x instanceof HubListener)).map((x) => x.close())]);
    },
    shutdown: (drainMs) => shutdownAll(runtime, bus, listeners, opened, drainMs),
  };
}
