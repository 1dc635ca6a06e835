/**
 * The admin plugin on runtime parts alone: no listener bound, no hub started. What the admin API
 * changes lands in the part that owns it (endpoint table, timeline, fault control).
 */
import t from 'tap';
import Fastify from 'fastify';
import { adminPlugin } from '../../src/admin/app.js';
import { EventBus } from '../../src/events/bus.js';
import { createRuntime } from '../../src/runtime/index.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { afterModeNames } from '../../src/after/registry.js';
import { sharedStore } from '../helpers/pki.js';

const TOKEN = 'parts-token-0123456789';

t.test('state and control over runtime parts, with inject only', async (t) => {
  const pki = await sharedStore();
  const loaded = loadScenario('scenarios/default.yaml', {
    chainIds: pki.listChains().map((c) => c.id),
    afterModes: afterModeNames(),
  });
  const runtime = await createRuntime(compileScenario(loaded, { port: 0, noAdmin: true }), pki, new EventBus());
  const app = Fastify({ logger: false });
  await app.register(adminPlugin, { runtime, token: TOKEN, processMetrics: false });
  t.teardown(() => app.close());
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });

  const state = (await call('GET', '/state')).json();
  const hub = state.endpoints.find((e: { kind: string }) => e.kind === 'iothub');
  t.ok(hub, 'the endpoint table is visible');
  t.equal(hub.openConnections, 0, 'nothing listens, nothing is open');

  const before = runtime.endpoints.profileOf(runtime.endpoints.get(hub.name)).id;
  const target = before === 'iothub-legacy' ? 'iothub-2025' : 'iothub-legacy';
  const r = await call('POST', '/timeline/profile', { endpoint: hub.name, profile: target });
  t.equal(r.statusCode, 200, r.body);
  t.equal(
    runtime.endpoints.profileOf(runtime.endpoints.get(hub.name)).id,
    target,
    'the endpoint table holds the new profile',
  );

  const drop = (await call('POST', '/timeline/drop', {})).json();
  t.equal(drop.dropped, 0, 'the connection registry answers for drops');
  t.same(runtime.faults.list(), (await call('GET', '/state')).json().faults, 'fault control is what /state shows');
});
