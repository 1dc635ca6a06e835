/**
 * Hot reload: validate the new file completely, then apply it without dropping anyone.
 * - Only scenario files in the allowed folders are read (reload-files.ts), off the event loop.
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
import type { CompiledScenario } from '../scenario/compile.js';
import { stageScenario, type RuntimeParts } from '../runtime/index.js';
import type { ListenerSpec } from '../scenario/compile.js';

/** A listener a reload bound (in this process, or reported by the workers of `--workers N`). */
export interface BoundListener {
  readonly name: string;
  close(drain?: boolean): Promise<void>;
}

/** What a reload does to the listeners (serve/listeners.ts ListenerSet in one process). */
export interface ReloadListeners {
  missing(specs: readonly ListenerSpec[]): ListenerSpec[];
  bind(specs: readonly ListenerSpec[]): Promise<BoundListener[]>;
  swap(specs: readonly ListenerSpec[], added: BoundListener[]): string[];
}

/** The parts of a running hub a reload touches. */
export interface ReloadTarget {
  runtime: RuntimeParts;
  listeners: ReloadListeners;
  /**
   * Loads, validates and compiles a scenario file (rejects with HubtlsError listing every problem);
   * the parse runs off the event loop, so serving goes on meanwhile.
   */
  compile(file: string): Promise<CompiledScenario>;
  /** Which files may be reloaded (serve/reload-files.ts): the path to load, or a refusal. */
  allow(file: string): Promise<string>;
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

function refused(bus: EventBus, file: string, e: unknown): ReloadResult {
  const error =
    e instanceof HubtlsError
      ? `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`
      : String((e as Error)?.message ?? e);
  bus.publish({
    type: 'notice',
    level: 'warn',
    what: 'reload-refused',
    msg: `reload of ${file} refused; the running scenario stays: ${error}`,
    file,
    error,
  });
  return {
    ok: false,
    error,
    changed: [],
    removed: [],
    listenersAdded: [],
    listenersRemoved: [],
    timelineRestarted: false,
    warnings: [],
  };
}

/** The device registry keeps telemetry, twins and DPS registrations: it is built once, at start. */
function deviceWarning(before: CompiledScenario, next: CompiledScenario): string[] {
  if (JSON.stringify(before.devices) === JSON.stringify(next.devices)) return [];
  return [
    'devices, device CAs and enrollments are not reloaded (the registry keeps telemetry and twins): restart hubtls to apply them',
  ];
}

type Staged = { next: CompiledScenario; added: BoundListener[]; changed: string[]; removed: string[]; commit(): void };

/** Everything that can fail, before anything is swapped: validate, bind new listeners, load every chain. */
async function stage(t: ReloadTarget, file: string): Promise<Staged> {
  const next = await t.compile(await t.allow(file));
  const added = await t.listeners.bind(t.listeners.missing(next.listeners));
  try {
    return { next, added, ...(await stageScenario(t.runtime, next)) };
  } catch (e) {
    await Promise.allSettled(added.map((l) => l.close(true)));
    throw e;
  }
}

function announce(bus: EventBus, file: string, r: ReloadResult): void {
  const what = [
    r.changed.length && `changed ${r.changed.join(', ')}`,
    r.removed.length && `removed ${r.removed.join(', ')}`,
    r.listenersAdded.length && `listening on ${r.listenersAdded.join(', ')}`,
    r.listenersRemoved.length && `stopped listening on ${r.listenersRemoved.join(', ')}`,
    r.timelineRestarted && 'timeline restarted',
    ...r.warnings,
  ].filter(Boolean);
  bus.publish({
    type: 'notice',
    level: r.warnings.length ? 'warn' : 'info',
    what: 'reload',
    msg: `reloaded ${file}: ${what.join('; ') || 'nothing changed'}`,
    file,
    ...r,
  });
}

export async function reloadHub(t: ReloadTarget, file: string): Promise<ReloadResult> {
  const rt = t.runtime;
  const before = rt.scenario.current;
  let staged: Staged;
  try {
    staged = await stage(t, file);
  } catch (e) {
    return refused(rt.bus, file, e);
  }
  const { next, added, changed, removed } = staged;
  staged.commit();
  const result: ReloadResult = {
    ok: true,
    changed,
    removed,
    listenersAdded: added.map((l) => l.name),
    listenersRemoved: t.listeners.swap(next.listeners, added),
    timelineRestarted: rt.timeline.adopt(before, next),
    warnings: deviceWarning(before, next),
  };
  announce(rt.bus, file, result);
  return result;
}
