/**
 * The timeline engine on its own: triggers (at with clock moves and rate, after N handshakes,
 * delay, admin), order, one notice per step, failures, and trigger() errors.
 */
import t from 'tap';
import { EventBus } from '../../src/events/bus.js';
import type { HubEvent, NoticeEvent } from '../../src/events/types.js';
import { ScenarioClock } from '../../src/scenario/clock.js';
import { Timeline } from '../../src/runtime/timeline/runner.js';
import { compileTimeline, durationMs, type Action } from '../../src/scenario/timeline/compile.js';
import type { StepFile } from '../../src/scenario/schema.js';

function harness(steps: StepFile[], clock = new ScenarioClock({ rate: 1 }), fail?: (a: Action) => boolean) {
  const bus = new EventBus();
  const applied: Action[] = [];
  const notices: NoticeEvent[] = [];
  bus.subscribe((e) => void (e.type === 'notice' && notices.push(e)));
  const tl = new Timeline(compileTimeline(steps, ['hub', 'dps'], '/tmp'), {
    clock,
    bus,
    apply: async (a) => {
      if (fail?.(a)) throw new Error(`cannot ${a.kind}`);
      applied.push(a);
    },
  });
  const stepNotice = (id: string) =>
    new Promise<NoticeEvent>((resolve) => {
      const found = notices.find((n) => n.what === 'step' && n.step === id);
      if (found) return resolve(found);
      const off = bus.subscribe((e) => {
        if (e.type !== 'notice' || e.what !== 'step' || e.step !== id) return;
        off();
        resolve(e);
      });
    });
  const handshake = (endpoint: string) =>
    bus.publish({
      type: 'handshake',
      conn: 1,
      listener: 'l',
      peer: 'p',
      endpoint,
      outcome: 'HUBTLS_ACCEPTED',
      reason: '',
      durationMs: 1,
    } as HubEvent);
  return { bus, tl, applied, notices, stepNotice, handshake };
}

t.test('durations', async (t) => {
  t.equal(durationMs('500ms'), 500);
  t.equal(durationMs('30s'), 30000);
  t.equal(durationMs('+1d'), 86400000);
  t.equal(durationMs('-2h'), -7200000);
  t.equal(durationMs('1.5m'), 90000);
});

t.test('after N connections: counts only the named endpoint, since the previous step', async (t) => {
  const h = harness([
    { id: 'a', after: { connections: 2, endpoint: 'hub' }, chain: 'g2' },
    { id: 'b', after: { connections: 1 }, drop: true },
  ]);
  h.tl.start();
  t.teardown(() => h.tl.stop());
  h.handshake('dps');
  h.handshake('hub');
  t.equal(h.applied.length, 0, 'one hub connection is not enough; dps does not count');
  h.handshake('hub');
  await h.stepNotice('a');
  t.same(
    h.applied.map((a) => a.kind),
    ['chain'],
  );
  t.same((h.applied[0] as Extract<Action, { kind: 'chain' }>).endpoints, ['hub', 'dps'], 'no endpoint: every endpoint');
  h.handshake('dps');
  const b = await h.stepNotice('b');
  t.match(b, { by: '1 connection(s)', ok: true, actions: ['hub, dps: drop open connections'] });
  t.ok(h.notices.some((n) => n.what === 'timeline-done'));
  t.same(
    h.tl.statuses().map((s) => s.state),
    ['done', 'done'],
  );
});

t.test('delay, then admin: order is kept and trigger() checks it', async (t) => {
  const h = harness([
    { id: 'soon', delay: '20ms', profile: 'iothub-tls12', endpoint: 'hub' },
    { id: 'manual', on: 'admin', rotateLeaf: true, endpoint: ['dps'] },
  ]);
  await t.rejects(h.tl.trigger('manual'), {
    code: 'HUBTLS_STEP_NOT_NEXT',
    message: /"soon" \(20 ms after the previous step\) is waiting/,
  });
  h.tl.start();
  t.teardown(() => h.tl.stop());
  await h.stepNotice('soon');
  t.equal(h.tl.current?.id, 'manual');
  await h.tl.trigger('manual');
  t.same(
    h.applied.map((a) => [a.kind, 'endpoints' in a ? a.endpoints : []]),
    [
      ['profile', ['hub']],
      ['rotateLeaf', ['dps']],
    ],
  );
  await t.rejects(h.tl.trigger('soon'), { code: 'HUBTLS_STEP_DONE' });
  await t.rejects(h.tl.trigger('manul'), { code: 'HUBTLS_UNKNOWN_STEP', message: /did you mean "manual"/ });
});

t.test('trigger() runs the waiting step whatever its trigger', async (t) => {
  const h = harness([{ id: 'later', delay: '1h', drop: true }]);
  h.tl.start();
  t.teardown(() => h.tl.stop());
  await h.tl.trigger('later');
  t.match(await h.stepNotice('later'), { by: 'admin trigger' });
});

t.test('at: fires when the scenario clock gets there, by rate or by a clock move', async (t) => {
  const clock = new ScenarioClock({ start: new Date('2025-08-30T23:59:59.000Z'), rate: 100 });
  const h = harness(
    [
      { id: 'soon', at: '2025-08-31T00:00:00Z', profile: 'iothub-2025' },
      { id: 'far', at: '2030-01-01T00:00:00Z', profile: 'iothub-legacy' },
      { id: 'past', at: '2020-01-01T00:00:00Z', drop: true },
    ],
    clock,
  );
  h.tl.start();
  t.teardown(() => h.tl.stop());
  await h.stepNotice('soon'); // one simulated second at rate 100: ~10 ms
  t.equal(h.tl.current?.id, 'far');
  clock.set(new Date('2031-01-01T00:00:00Z'));
  h.tl.clockMoved();
  t.match(await h.stepNotice('far'), { by: 'scenario clock reached 2030-01-01T00:00:00.000Z' });
  t.match(await h.stepNotice('past'), { ok: true }, 'a step whose time has passed fires at once, in order');
});

t.test('a failing action: the step is reported failed and the story goes on', async (t) => {
  const h = harness(
    [
      { id: 'bad', on: 'admin', chain: 'g2', drop: true },
      { id: 'next', on: 'admin', drop: true },
    ],
    undefined,
    (a) => a.kind === 'chain',
  );
  h.tl.start();
  t.teardown(() => h.tl.stop());
  await h.tl.trigger('bad');
  t.match(await h.stepNotice('bad'), {
    level: 'error',
    ok: false,
    msg: /timeline step bad \(admin trigger\) failed: cannot chain/,
  });
  t.same(h.applied, [], 'actions after the failing one do not run');
  await h.tl.trigger('next');
  t.same(
    h.tl.statuses().map((s) => s.state),
    ['failed', 'done'],
  );
});

t.test('actions run in the order they are written', async (t) => {
  const h = harness([
    {
      id: 's',
      on: 'admin',
      drop: true,
      fault: { start: 'x', stop: ['y', 'z'] },
      clock: '+30d',
      chain: 'g2',
      rotateIntermediate: 'g2-ca04',
    },
  ]);
  h.tl.start();
  t.teardown(() => h.tl.stop());
  await h.tl.trigger('s');
  t.same(
    h.applied.map((a) => a.kind),
    ['drop', 'fault', 'clock', 'chain', 'rotateIntermediate'],
  );
  t.match(h.applied[1], { start: ['x'], stop: ['y', 'z'] });
});
