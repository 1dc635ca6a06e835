/**
 * The change feed (runtime/changes.ts) that `--workers N` sends to every worker: each part emits
 * what it changed, and a second runtime that applies those changes (runtime/apply-change.ts) ends in
 * the same state — chain, leaf generation, issuing CA, profile, faults, clock.
 */
import t from 'tap';
import { EventBus } from '../../src/events/bus.js';
import { createRuntime, type RuntimeParts } from '../../src/runtime/index.js';
import type { Change } from '../../src/runtime/changes.js';
import { applyChange } from '../../src/runtime/apply-change.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { afterModeNames } from '../../src/after/registry.js';
import { sharedStore } from '../helpers/pki.js';

async function runtime(timeline = true): Promise<RuntimeParts> {
  const pki = await sharedStore();
  const ctx = { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() };
  const s = compileScenario(loadScenario('scenarios/default.yaml', ctx), { port: 0, noAdmin: true });
  return createRuntime(s, pki, new EventBus(), { timeline });
}

function state(rt: RuntimeParts) {
  const hub = rt.endpoints.get('hub');
  return {
    chain: hub.chain,
    generation: hub.generation,
    profile: rt.endpoints.profileOf(hub).id,
    leaf: rt.endpoints.materialOf('hub').rsa?.leafSha256,
    chainId: rt.endpoints.materialOf('hub').rsa?.chainId,
    faults: rt.faults.list().map((f) => [f.id, f.fault, f.active]),
  };
}

t.test('a follower that applies the changes ends where the leader is', async (t) => {
  const [leader, follower] = await Promise.all([runtime(), runtime(false)]);
  const changes: Change[] = [];
  leader.changes.on((c) => changes.push(c));

  await leader.endpoints.setChain('hub', { catalog: 'baltimore' });
  await leader.endpoints.rotateLeaf('hub');
  await leader.endpoints.rotateLeaf('hub');
  leader.endpoints.setProfile('hub', 'iothub-tls12');
  await leader.faults.start({ endpoint: 'hub', fault: 'stall', params: {} });
  await leader.faults.start({ endpoint: 'hub', fault: 'reset-after-hello' });
  leader.faults.stop('hub.stall');
  await leader.setClock(new Date(leader.clock.now().getTime() + 86_400_000));
  leader.connections.drop('hub');

  t.same(
    changes.map((c) => c.kind),
    ['chain', 'leaf', 'leaf', 'profile', 'fault-start', 'fault-start', 'fault-stop', 'clock', 'drop'],
    'every change, in order',
  );
  t.match(changes[2], { kind: 'leaf', generation: 3 }, 'a rotation carries the generation it reached');
  t.match(changes[4], { kind: 'fault-start', ref: { id: 'hub.stall', fault: 'stall' } }, 'a new fault carries its id');

  for (const c of changes) await applyChange(follower, c);
  t.same(state(follower), state(leader), 'same chain, leaf, profile and faults');
  t.ok(Math.abs(follower.clock.now().getTime() - leader.clock.now().getTime()) < 5_000, 'same scenario clock');

  const again = await runtime(false);
  for (const c of changes.slice(0, 3)) await applyChange(again, c);
  await applyChange(again, changes[2]!);
  t.equal(again.endpoints.get('hub').generation, 3, 'a leaf change applied twice gives the same generation');
});

t.test('a follower runs no timeline of its own', async (t) => {
  const rt = await runtime(false);
  rt.timeline.start([{ id: 'x', on: { kind: 'admin' }, actions: [] } as never]);
  t.same(rt.timeline.statuses(), [], 'nothing started');
});
