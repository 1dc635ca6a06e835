/**
 * The runtime parts without a socket: the timeline acting on the endpoint table and the connection
 * registry, the clock re-arming the timeline through its notice, and a reload staged before commit.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { EventBus } from '../../src/events/bus.js';
import type { NoticeEvent } from '../../src/events/types.js';
import { createRuntime, stageScenario } from '../../src/runtime/index.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { afterModeNames } from '../../src/after/registry.js';
import { sharedStore } from '../helpers/pki.js';

async function parts(file: string, over: (doc: ReturnType<typeof loadScenario>) => void = () => {}) {
  const pki = await sharedStore();
  const compile = () => {
    const loaded = loadScenario(file, { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
    over(loaded);
    return compileScenario(loaded, { port: 0, noAdmin: true });
  };
  const bus = new EventBus();
  const notices: NoticeEvent[] = [];
  bus.subscribe((e) => void (e.type === 'notice' && notices.push(e)));
  return { rt: await createRuntime(compile(), pki, bus), notices, compile };
}

/** A stand-in for a TCP socket: the registry only needs close events and destroy(). */
function fakeSocket(): Socket & { destroyed: boolean } {
  const s = new EventEmitter() as unknown as Socket & { destroyed: boolean };
  s.destroyed = false;
  s.destroy = () => ((s.destroyed = true), s.emit('close'), s);
  return s;
}

t.test('a timeline step changes the endpoint table and drops through the registry', async (t) => {
  const { rt, notices } = await parts('scenarios/tls12-enforcement.yaml');
  await t.rejects(rt.timeline.trigger('enforce-tls12'), { code: 'HUBTLS_NO_TIMELINE' }, 'nothing runs before start');
  rt.timeline.start(rt.scenario.current.timeline);
  t.teardown(() => rt.timeline.stop());
  const [a, b] = [fakeSocket(), fakeSocket()];
  rt.connections.track('hub', a);
  rt.connections.track('hub', b);
  b.destroy();
  t.equal(rt.connections.open('hub'), 1, 'a closed socket is forgotten');
  t.equal(rt.endpoints.profileOf(rt.endpoints.get('hub')).id, 'iothub-legacy');
  await rt.timeline.trigger('enforce-tls12');
  t.equal(
    rt.endpoints.profileOf(rt.endpoints.get('hub')).id,
    'iothub-tls12',
    'the endpoint table holds the new profile',
  );
  t.ok(a.destroyed, 'the step dropped the open connection');
  t.same(
    notices.map((n) => n.what),
    ['profile', 'drop', 'step', 'timeline-done'],
  );
  t.match(rt.timeline.statuses(), [{ id: 'enforce-tls12', state: 'done', firedBy: 'admin trigger' }]);
});

t.test('moving the clock re-arms a waiting `at` step through the clock notice', async (t) => {
  const { rt, notices } = await parts('scenarios/default.yaml', (doc) => {
    (doc.doc as { timeline?: unknown[] }).timeline = [{ id: 'later', at: '2030-01-01T00:00:00Z', rotateLeaf: true }];
  });
  rt.timeline.start(rt.scenario.current.timeline);
  t.teardown(() => rt.timeline.stop());
  const hub = rt.endpoints.list().find((e) => e.kind === 'iothub')!;
  t.match(rt.timeline.statuses(), [{ id: 'later', state: 'waiting' }]);
  await rt.setClock(new Date('2030-01-01T00:00:01Z'));
  await new Promise<void>((resolve, reject) => {
    const seen = () => notices.some((n) => n.what === 'step');
    if (seen()) return resolve();
    const timer = setTimeout(() => reject(new Error('the `at` step never ran after the clock moved')), 10_000);
    const off = rt.bus.subscribe(() => {
      if (!seen()) return;
      off();
      clearTimeout(timer);
      resolve();
    });
  });
  t.equal(rt.endpoints.get(hub.name).generation, 2, 'the step ran once the clock passed its instant');
  t.same(
    notices.map((n) => n.what).filter((w) => w !== 'timeline-done'),
    ['clock', ...rt.endpoints.list().map(() => 'rotate-leaf'), 'step'],
    'the clock notice first, then the step (every endpoint rotated)',
  );
});

t.test('a staged reload is not in force until commit', async (t) => {
  const { rt, compile } = await parts('scenarios/default.yaml');
  const next = compile();
  const hub = next.endpoints.find((e) => e.kind === 'iothub')!;
  hub.profile = 'iothub-legacy';
  const staged = await stageScenario(rt, next);
  t.same(staged.changed, [hub.name]);
  t.not(rt.endpoints.get(hub.name).profile, 'iothub-legacy', 'staged only');
  staged.commit();
  t.equal(rt.endpoints.get(hub.name).profile, 'iothub-legacy');
  t.equal(rt.scenario.current, next, 'the scenario in force is the new one');
});
