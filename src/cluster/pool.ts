/**
 * The primary's workers (`--workers N`): forks them (node:cluster, so their listeners share the
 * ports), starts each with the changes made so far, publishes their events on the primary's bus,
 * fans changes, reloads and shutdowns out to all of them, and restarts a worker that dies.
 */
import cluster, { type Worker } from 'node:cluster';
import { HubtlsError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { ReloadResult } from '../serve/reload.js';
import { WORKER_ENV, type FromWorker, type ToWorker, type WorkerConfig, type WorkerListener } from './messages.js';

export interface PoolOptions {
  count: number;
  /** The script a worker runs (the hubtls CLI; it sees HUBTLS_WORKER and becomes a worker). */
  entry: string;
  config: Omit<WorkerConfig, 'slot' | 'scenarioFile'>;
  bus: EventBus;
  /** The scenario file in force (a restarted worker loads it). */
  currentFile(): string;
  /** What a starting worker applies before it listens: the changes since that file was loaded, and the clock. */
  startMessage(): Extract<ToWorker, { t: 'start' }>;
}

interface Slot {
  worker: Worker;
  pid?: number;
  startedAt: number;
  listening?: WorkerListener[];
}

type Waiter<T> = { resolve(v: T): void; reject(e: Error): void };

/** A worker that dies sooner than this after starting, again and again, is not restarted forever. */
const QUICK_DEATH_MS = 2000;
const MAX_QUICK_DEATHS = 5;

export class WorkerPool {
  private readonly slots = new Map<number, Slot>();
  private readonly reloads = new Map<number, { results: FromWorker[]; waiting: number; done(): void }>();
  private nextReload = 1;
  private stopping = false;
  private quickDeaths = 0;

  constructor(private readonly o: PoolOptions) {}

  /** Forks every worker; resolves with their listeners once all listen, rejects if one cannot start. */
  async start(): Promise<WorkerListener[]> {
    const started = await Promise.all(Array.from({ length: this.o.count }, (_, i) => this.fork(i + 1)));
    return started[0]!;
  }

  /** The listeners the workers serve (all workers serve the same ones). */
  listeners(): WorkerListener[] {
    for (const s of this.slots.values()) if (s.listening) return s.listening;
    return [];
  }

  get size(): number {
    return this.slots.size;
  }

  pids(): number[] {
    return [...this.slots.values()].flatMap((s) => (s.worker.process.pid ? [s.worker.process.pid] : []));
  }

  broadcast(m: ToWorker): void {
    for (const s of this.slots.values()) if (s.listening && s.worker.isConnected()) s.worker.send(m);
  }

  /** Every worker reloads `file` (validates, binds new listeners, commits); one result per worker. */
  reload(file: string): Promise<Array<{ result: ReloadResult; listeners: WorkerListener[] }>> {
    const id = this.nextReload++;
    const live = [...this.slots.values()].filter((s) => s.listening && s.worker.isConnected());
    return new Promise((resolve) => {
      const results: FromWorker[] = [];
      const done = () => {
        this.reloads.delete(id);
        resolve(results.flatMap((r) => (r.t === 'reloaded' ? [{ result: r.result, listeners: r.listeners }] : [])));
      };
      this.reloads.set(id, { results, waiting: live.length, done });
      if (live.length === 0) return done();
      for (const s of live) s.worker.send({ t: 'reload', id, file } satisfies ToWorker);
    });
  }

  /** Graceful stop of every worker; sums what they drained and closed. */
  async shutdown(drainMs: number): Promise<{ inFlight: number; ended: number }> {
    this.stopping = true;
    const stops = [...this.slots.values()].map((s) => this.stopOne(s, { t: 'shutdown', drainMs }));
    const done = await Promise.all(stops);
    return done.reduce((a, d) => ({ inFlight: a.inFlight + d.inFlight, ended: a.ended + d.ended }), {
      inFlight: 0,
      ended: 0,
    });
  }

  /** Stops at once: every worker closes its listeners and connections and exits. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.slots.values()].map((s) => this.stopOne(s, { t: 'close' })));
  }

  private stopOne(s: Slot, m: ToWorker): Promise<{ inFlight: number; ended: number }> {
    return new Promise((resolve) => {
      const r = { inFlight: 0, ended: 0 };
      s.worker.on('message', (x: FromWorker) => x.t === 'stopped' && Object.assign(r, x));
      if (s.worker.isDead()) return resolve(r);
      s.worker.once('exit', () => resolve(r));
      if (s.worker.isConnected()) s.worker.send(m);
      else s.worker.kill();
    });
  }

  private fork(slot: number): Promise<WorkerListener[]> {
    // Round-robin (node:cluster's default here): the primary accepts and hands each connection to the
    // next worker. Letting workers accept on the shared socket (SCHED_NONE) cost ~7 % less CPU per
    // handshake, but the kernel then gave most connections to one worker, whole test runs long.
    cluster.schedulingPolicy = cluster.SCHED_RR;
    const config: WorkerConfig = { ...this.o.config, slot, scenarioFile: this.o.currentFile() };
    cluster.setupPrimary({
      exec: this.o.entry,
      args: ['run'],
      execArgv: process.execArgv,
      serialization: 'advanced',
    } as Parameters<typeof cluster.setupPrimary>[0]);
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(config) });
    const s: Slot = { worker, startedAt: Date.now() };
    this.slots.set(slot, s);
    return new Promise((resolve, reject) => {
      const starting: Waiter<WorkerListener[]> | undefined = { resolve, reject };
      let pending: Waiter<WorkerListener[]> | undefined = starting;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'listening') {
          s.listening = m.listeners;
          pending?.resolve(m.listeners);
          pending = undefined;
        } else if (m.t === 'failed') {
          pending?.reject(new HubtlsError(m.code ?? 'HUBTLS_WORKER_FAILED', m.message, m.hint));
          pending = undefined;
        } else this.onMessage(slot, m);
      });
      worker.on('exit', (code, signal) => {
        if (pending) {
          const why = `worker ${slot} exited before it listened (${signal ?? `code ${code}`})`;
          pending.reject(new HubtlsError('HUBTLS_WORKER_FAILED', why));
          pending = undefined;
        }
        this.onExit(slot, s, code, signal);
      });
    });
  }

  private onMessage(slot: number, m: FromWorker): void {
    switch (m.t) {
      case 'up': {
        const s = this.slots.get(slot);
        return void (s?.worker.isConnected() && s.worker.send(this.o.startMessage()));
      }
      case 'event':
        return this.o.bus.publish(m.event);
      case 'reloaded': {
        const r = this.reloads.get(m.id);
        if (!r) return;
        r.results.push(m);
        if (--r.waiting === 0) r.done();
        return;
      }
    }
  }

  /** A worker died: its connections are gone (their devices reconnect to the others); a new one takes its slot. */
  private onExit(slot: number, s: Slot, code: number | null, signal: string | null): void {
    if (this.slots.get(slot) !== s) return;
    for (const r of this.reloads.values()) if (--r.waiting === 0) r.done();
    if (this.stopping || !s.listening) return;
    const quick = Date.now() - s.startedAt < QUICK_DEATH_MS;
    this.quickDeaths = quick ? this.quickDeaths + 1 : 0;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const pid = s.worker.process.pid;
    if (this.quickDeaths > MAX_QUICK_DEATHS) {
      const msg = `worker ${slot} (pid ${pid}) exited (${how}), the ${this.quickDeaths}th quick death in a row: not restarted`;
      this.slots.delete(slot);
      return this.o.bus.publish({ type: 'notice', level: 'error', what: 'worker-exit', msg, slot, pid, code, signal });
    }
    const msg = `worker ${slot} (pid ${pid}) exited (${how}); its devices reconnect to the other workers; starting a new worker ${slot}`;
    this.o.bus.publish({ type: 'notice', level: 'warn', what: 'worker-exit', msg, slot, pid, code, signal });
    this.fork(slot).then(
      () => {
        const pidNow = this.slots.get(slot)?.worker.process.pid;
        const m = `worker ${slot} restarted (pid ${pidNow})`;
        this.o.bus.publish({ type: 'notice', level: 'info', what: 'worker-restarted', msg: m, slot, pid: pidNow });
      },
      (e: Error) => {
        const m = `worker ${slot} could not be restarted: ${e.message}`;
        this.o.bus.publish({ type: 'notice', level: 'error', what: 'worker-exit', msg: m, slot });
      },
    );
  }
}
