/** Runs one timeline action on the runtime (each runtime method publishes its own notice). */
import type { Runtime } from './runtime.js';
import type { Action } from './timeline/compile.js';
import { durationMs } from './timeline/compile.js';
import { RELATIVE_PATTERN } from './timeline/schema.js';
import { Timeline } from './timeline.js';

/** "+30d" from the scenario's now, or an instant. */
export function clockTarget(to: string, now: Date): Date {
  return new RegExp(RELATIVE_PATTERN).test(to) ? new Date(now.getTime() + durationMs(to)) : new Date(to);
}

export async function applyAction(rt: Runtime, a: Action): Promise<void> {
  switch (a.kind) {
    case 'chain': return void (await Promise.all(a.endpoints.map((e) => rt.setChain(e, a.source, a.keyType))));
    case 'rotateLeaf': return void (await Promise.all(a.endpoints.map((e) => rt.rotateLeaf(e))));
    case 'rotateIntermediate': return void (await Promise.all(a.endpoints.map((e) => rt.rotateIntermediate(e, a.to))));
    case 'profile': return a.endpoints.forEach((e) => rt.setProfile(e, a.profile, rt.endpoint(e).minTlsVersion));
    case 'clock': return rt.setClock(clockTarget(a.to, rt.clock.now()));
    case 'fault':
      for (const id of a.stop) rt.stopFault(id);
      for (const id of a.start) await rt.startFault(id);
      return;
    case 'drop': return a.endpoints.forEach((e) => void rt.drop(e));
  }
}

/** The runtime's timeline, started; the runtime learns about it (clock moves, admin triggers). */
export function startTimeline(rt: Runtime): Timeline {
  const timeline = new Timeline(rt.scenario.timeline, { clock: rt.clock, bus: rt.bus, apply: (a) => applyAction(rt, a) });
  rt.timeline = timeline;
  timeline.start();
  return timeline;
}
