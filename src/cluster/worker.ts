/**
 * A worker of `hubtls run --workers N`: it holds sockets. Its listeners share the primary's ports
 * (node:cluster); each connection goes through the same flow as in one process (ClientHello, policy,
 * faults, the engine, the handshake event), and an established session is relayed to the primary,
 * which owns the hub core. Its endpoint table, faults and clock follow the primary's changes; its
 * events go to the primary, which logs and serves them.
 */
import cluster from 'node:cluster';
import { EventBus } from '../events/bus.js';
import { HubtlsError } from '../errors.js';
import { PkiStore } from '../pki/store.js';
import { miniCaps } from '../tls/engines/mini/index.js';
import { createRuntime, type RuntimeParts } from '../runtime/index.js';
import { applyChange } from '../runtime/apply-change.js';
import { ListenerSet } from '../serve/listeners.js';
import { listenerDeps, serveSettings } from '../serve/deps.js';
import { reloadHub } from '../serve/reload.js';
import { scenarioSource } from '../serve/scenario-source.js';
import { relaySessions } from '../serve/relay/worker-side.js';
import { forwarded, type FromWorker, type ToWorker, type WorkerConfig } from './messages.js';

/** Connection ids stay unique across workers: the slot is the last three digits (conn 5002: worker 2's fifth). */
export const CONN_ID_STRIDE = 1000;

function send(m: FromWorker): void {
  process.send?.(m);
}

export async function runWorker(cfg: WorkerConfig): Promise<void> {
  const bus = new EventBus();
  bus.subscribe((event) => forwarded(event) && send({ t: 'event', event }));
  guard(bus);
  process.on('disconnect', () => process.exit(0)); // the primary is gone: so are its sessions
  // The channel keeps a worker alive between its messages (a preloaded module may have unref'd it).
  process.channel?.ref();
  // Ctrl-C reaches the whole process group: the primary drains the workers (a `shutdown` message).
  process.on('SIGINT', () => {});
  try {
    const worker = await Worker.create(cfg, bus);
    process.on('message', (m: ToWorker) => void worker.handle(m));
    send({ t: 'up' });
  } catch (e) {
    const h = e instanceof HubtlsError ? { code: e.code, hint: e.hint } : {};
    send({ t: 'failed', message: (e as Error).message, ...h });
    process.disconnect();
  }
}

class Worker {
  /** Messages are handled one at a time, in order: a change applies before the next one is read. */
  private queue = Promise.resolve();

  private constructor(
    private readonly cfg: WorkerConfig,
    private readonly runtime: RuntimeParts,
    private readonly listeners: ListenerSet,
    private readonly source: ReturnType<typeof scenarioSource>,
  ) {}

  static async create(cfg: WorkerConfig, bus: EventBus): Promise<Worker> {
    const pki = await PkiStore.open(cfg.certsDir);
    const source = scenarioSource({ ...cfg, scenarioFile: cfg.startFile, currentFile: cfg.scenarioFile }, pki);
    const runtime = await createRuntime(source.first, pki, bus, { mini: miniCaps, timeline: false });
    let seq = 0;
    const connIds = () => ++seq * CONN_ID_STRIDE + (cfg.slot % CONN_ID_STRIDE);
    const deps = listenerDeps(runtime, serveSettings(source.first, bus, { precheck: cfg.precheck, connIds }));
    const listeners = new ListenerSet({ ...deps, startSession: relaySessions(cfg.relayPath, bus) });
    return new Worker(cfg, runtime, listeners, source);
  }

  handle(m: ToWorker): Promise<void> {
    this.queue = this.queue.then(() => this.act(m)).catch((e: unknown) => this.failed(m, e));
    return this.queue;
  }

  private async act(m: ToWorker): Promise<void> {
    switch (m.t) {
      case 'start':
        for (const c of m.changes) await applyChange(this.runtime, c);
        await applyChange(this.runtime, { kind: 'clock', to: m.clock.now, rate: m.clock.rate });
        await this.listeners.start(this.runtime.scenario.current.listeners);
        return send({ t: 'listening', listeners: this.bound() });
      case 'change':
        return applyChange(this.runtime, m.change);
      case 'reload': {
        const { compile, allow } = this.source;
        const result = await reloadHub({ runtime: this.runtime, listeners: this.listeners, compile, allow }, m.file);
        return send({ t: 'reloaded', id: m.id, result, listeners: this.bound() });
      }
      case 'shutdown': {
        const r = await this.listeners.shutdown(m.drainMs);
        send({ t: 'stopped', ...r });
        return process.disconnect();
      }
      case 'close':
        await this.listeners.close();
        return process.disconnect();
    }
  }

  private bound() {
    return this.listeners.all().map((l) => ({
      name: l.name,
      host: l.spec.host,
      port: l.port,
      endpoints: [...l.spec.endpoints],
    }));
  }

  private failed(m: ToWorker, e: unknown): void {
    const msg = `worker ${this.cfg.slot}: ${m.t} failed: ${(e as Error)?.message ?? String(e)}`;
    this.runtime.bus.publish({ type: 'notice', level: 'error', what: 'worker', msg });
    if (m.t === 'start') {
      const h = e instanceof HubtlsError ? { code: e.code, hint: e.hint } : {};
      send({ t: 'failed', message: (e as Error).message, ...h });
      process.disconnect();
    }
  }
}

/** A peer can never kill a worker either: anything that escapes becomes an error event at the primary. */
function guard(bus: EventBus): void {
  const report = (what: string, e: unknown) =>
    bus.publish({
      type: 'notice',
      level: 'error',
      what,
      msg: `worker ${cluster.worker?.id ?? '?'}: ${what === 'uncaught' ? 'uncaught exception' : 'unhandled rejection'}: ${(e as Error)?.stack ?? String(e)}`,
    });
  process.on('uncaughtException', (e) => report('uncaught', e));
  process.on('unhandledRejection', (e) => report('unhandled', e));
}
