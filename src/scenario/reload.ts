/**
 * Hot reload: validate the new file completely, then apply it without dropping anyone.
 * - An invalid file is refused with all its problems; the running scenario stays as it was.
 * - Endpoints change in place: open connections keep going with what they negotiated; new
 *   connections meet the new definition. Endpoints whose definition did not change keep their
 *   live state (a chain a step switched to, a rotated leaf).
 * - Listeners: a host:port the new file no longer uses stops accepting (its open connections stay
 *   until they end); a new host:port is bound first, so a port in use refuses the whole reload.
 * - The timeline keeps its place when the file's timeline is unchanged, else the new one starts.
 */
import { HubtlsError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { PkiStore } from '../pki/store.js';
import { afterModeNames } from '../after/registry.js';
import { HubListener, type ListenerDeps } from '../tls/listener.js';
import { loadScenario } from './load.js';
import { compileScenario, type CompiledScenario, type ListenerSpec, type Overrides } from './compile.js';
import type { Runtime } from './runtime.js';
import { startTimeline } from './timeline-actions.js';

/** The parts of a running hub a reload touches; `listeners` is the hub's own array (changed in place). */
export interface ReloadTarget {
  runtime: Runtime;
  bus: EventBus;
  pki: PkiStore;
  deps: ListenerDeps;
  listeners: HubListener[];
  overrides?: Overrides;
}

export interface ReloadResult {
  ok: boolean;
  /** Why it was refused (all problems), when ok is false. */
  error?: string;
  changed: string[];
  removed: string[];
  listenersAdded: string[];
  listenersRemoved: string[];
  timelineRestarted: boolean;
  /** What the reload did not apply, in words. */
  warnings: string[];
}

const key = (l: { host: string; port: number }) => `${l.host}:${l.port}`;

function refused(bus: EventBus, file: string, e: unknown): ReloadResult {
  const error = e instanceof HubtlsError ? `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}` : String((e as Error)?.message ?? e);
  bus.publish({ type: 'notice', level: 'warn', what: 'reload-refused', msg: `reload of ${file} refused; the running scenario stays: ${error}`, file, error });
  return { ok: false, error, changed: [], removed: [], listenersAdded: [], listenersRemoved: [], timelineRestarted: false, warnings: [] };
}

function compile(t: ReloadTarget, file: string): CompiledScenario {
  const loaded = loadScenario(file, { chainIds: t.pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
  return compileScenario(loaded, t.overrides);
}

/** Binds the listeners the new scenario adds; on failure closes those already bound and throws. */
async function bindNew(t: ReloadTarget, specs: ListenerSpec[]): Promise<HubListener[]> {
  const bound: HubListener[] = [];
  try {
    for (const spec of specs) {
      const l = new HubListener(spec, t.deps);
      await l.listen();
      bound.push(l);
    }
    return bound;
  } catch (e) {
    await Promise.allSettled(bound.map((l) => l.close(true)));
    throw e;
  }
}

/** Returns the names (host:bound port) of the listeners that stopped accepting. */
function swapListeners(t: ReloadTarget, next: CompiledScenario, added: HubListener[]): string[] {
  const wanted = new Map(next.listeners.map((s) => [key(s), s]));
  const gone = t.listeners.filter((l) => !wanted.has(key(l.spec)));
  for (const l of t.listeners) l.spec = wanted.get(key(l.spec)) ?? l.spec;
  t.listeners.splice(0, t.listeners.length, ...t.listeners.filter((l) => !gone.includes(l)), ...added);
  const names = gone.map((l) => l.name);
  for (const l of gone) void l.close(true); // stop accepting; open connections end on their own
  return names;
}

/** The device registry keeps telemetry, twins and DPS registrations: it is built once, at start. */
function deviceWarning(before: CompiledScenario, next: CompiledScenario): string[] {
  if (JSON.stringify(before.devices) === JSON.stringify(next.devices)) return [];
  return ['devices, device CAs and enrollments are not reloaded (the registry keeps telemetry and twins): restart hubtls to apply them'];
}

/** A timeline as written: the same shape may still target other endpoints ("every endpoint" grew). */
function shape(s: CompiledScenario): string {
  return JSON.stringify(s.timeline, (k, v: unknown) => (k === 'endpoints' ? undefined : v));
}

function restartTimeline(rt: Runtime, before: CompiledScenario): boolean {
  if (rt.timeline && shape(before) === shape(rt.scenario)) {
    rt.timeline.adoptSteps(rt.scenario.timeline);
    rt.timeline.clockMoved(); // the reload may have set another clock start or rate
    return false;
  }
  rt.timeline?.stop();
  startTimeline(rt);
  return true;
}

/** Everything that can fail, before anything is swapped: validate, bind new listeners, load every chain. */
async function stage(t: ReloadTarget, file: string): Promise<{ next: CompiledScenario; added: HubListener[]; adopted: { changed: string[]; removed: string[] } }> {
  const next = compile(t, file);
  const have = new Set(t.listeners.map((l) => key(l.spec)));
  const added = await bindNew(t, next.listeners.filter((s) => !have.has(key(s))));
  try {
    return { next, added, adopted: await t.runtime.adopt(next) };
  } catch (e) {
    await Promise.allSettled(added.map((l) => l.close(true)));
    throw e;
  }
}

function announce(bus: EventBus, file: string, r: ReloadResult): void {
  const what = [
    r.changed.length && `changed ${r.changed.join(', ')}`, r.removed.length && `removed ${r.removed.join(', ')}`,
    r.listenersAdded.length && `listening on ${r.listenersAdded.join(', ')}`, r.listenersRemoved.length && `stopped listening on ${r.listenersRemoved.join(', ')}`,
    r.timelineRestarted && 'timeline restarted', ...r.warnings,
  ].filter(Boolean);
  bus.publish({ type: 'notice', level: r.warnings.length ? 'warn' : 'info', what: 'reload', msg: `reloaded ${file}: ${what.join('; ') || 'nothing changed'}`, file, ...r });
}

export async function reloadHub(t: ReloadTarget, file: string): Promise<ReloadResult> {
  const before = t.runtime.scenario;
  let staged: Awaited<ReturnType<typeof stage>>;
  try {
    staged = await stage(t, file);
  } catch (e) {
    return refused(t.bus, file, e);
  }
  const { next, added, adopted } = staged;
  const result: ReloadResult = {
    ok: true, ...adopted,
    listenersAdded: added.map((l) => l.name),
    listenersRemoved: swapListeners(t, next, added),
    timelineRestarted: restartTimeline(t.runtime, before),
    warnings: deviceWarning(before, next),
  };
  announce(t.bus, file, result);
  return result;
}
