/**
 * Decisions kept per (ClientHello shape, policy epoch) (issue 17): real Node.js ClientHellos of one
 * client configuration share a shape whatever their random, session id and key shares; anything
 * the summary reads makes another shape. The runtime's policy snapshot is the epoch: it stays the
 * same object while nothing changes and is replaced by a profile switch, a chain reload and the
 * scenario clock crossing a dated rule (either way), and the cached decision follows every time.
 */
import t from 'tap';
import tls from 'node:tls';
import { EventBus } from '../../src/events/bus.js';
import { createRuntime } from '../../src/runtime/index.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { afterModeNames } from '../../src/after/registry.js';
import { helloShape } from '../../src/tls/hello-shape.js';
import { HelloCache } from '../../src/tls/hello-cache.js';
import { parseClientHello } from '../../src/tls/clienthello.js';
import { DecisionCache } from '../../src/tls/policy/decision-cache.js';
import { decide } from '../../src/tls/policy/decide.js';
import type { Accepted } from '../../src/tls/policy/types.js';
import { hello, endpoint, state } from '../helpers/hello.js';
import { sharedStore } from '../helpers/pki.js';
import { captureNodeHello } from '../helpers/capture.js';

/** The ClientHello message a Node.js client sends with `options`. */
const nodeHello = async (options: tls.ConnectionOptions): Promise<Buffer> => (await captureNodeHello(options)).message;

t.test('one client configuration, one shape; SNI or suites make another', async (t) => {
  const a = await nodeHello({ servername: 'dev1.azure-devices.net' });
  const b = await nodeHello({ servername: 'dev1.azure-devices.net' });
  t.notSame(a.subarray(6, 38), b.subarray(6, 38), 'two connections, two randoms');
  t.equal(helloShape(a), helloShape(b), 'same shape (random, session id and key shares left out)');
  t.ok(helloShape(a), 'a real hello has a shape');
  const other = await nodeHello({ servername: 'dev2.azure-devices.net' });
  t.not(helloShape(other), helloShape(a), 'another SNI is another shape');
  const suites = await nodeHello({ servername: 'dev1.azure-devices.net', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
  t.not(helloShape(suites), helloShape(a), 'other suites are another shape');
  t.equal(helloShape(a.subarray(0, 60)), undefined, 'a truncated hello has none (the full parse says why)');

  const cache = new HelloCache();
  const first = await cache.parse(a, a.length + 5);
  const second = await cache.parse(b, b.length + 9);
  t.equal(cache.size, 1, 'parsed once for both');
  t.same(second.hello, await parseClientHello(b, b.length + 9), 'the cached summary is what a full parse gives');
  t.equal(second.hello.bytes, b.length + 9, 'with this connection’s own byte count');
  t.equal(first.shape, second.shape);
  t.throws(() => (second.hello.suites as string[]).push('x'), 'the shared summary cannot be changed by a reader');
});

t.test('cached decisions are decide()’s, each with its own notes', async (t) => {
  const cache = new DecisionCache();
  const h = hello({ suites: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'] });
  const s = state([endpoint('iothub-legacy', {}, new Date('2022-09-30T00:00:00Z'))]);
  const one = cache.decide('shape', h, s);
  const two = cache.decide('shape', h, s);
  t.same(one, decide(h, s));
  t.not(one.notes, two.notes, 'notes are copied per connection');
  one.notes.push('this connection only');
  t.same(two.notes, decide(h, s).notes, 'another connection does not see them');
  const later = state([endpoint('iothub-legacy', {}, new Date('2022-10-01T00:00:00Z'))]);
  t.same(cache.decide('shape', h, later), decide(h, later), 'another snapshot is decided again');
  t.notSame(decide(h, later).notes, decide(h, s).notes, '(and the two answers differ)');
});

t.test('the runtime’s policy snapshot is the epoch: same object until something decide() reads changes', async (t) => {
  const pki = await sharedStore();
  const file = 'scenarios/tls12-enforcement.yaml';
  const loaded = loadScenario(file, { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
  const rt = await createRuntime(compileScenario(loaded, { port: 0, noAdmin: true }), pki, new EventBus());
  const names = ['hub'];
  const cache = new DecisionCache();
  // 3DES-only: its profile entry ends on 2022-10-01, so the clock alone changes the answer.
  const h = hello({ suites: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA'], sni: 'dev.azure-devices.net' });
  const at = (iso: string) => {
    rt.clock.set(new Date(iso));
    return rt.endpoints.policyState(names);
  };
  const reasonAt = (iso: string) => {
    const d = cache.decide('3des', h, at(iso));
    return d.code === 'HUBTLS_ACCEPTED' ? `accepted ${d.suite}` : d.reason;
  };

  const before = at('2022-09-30T12:00:00Z');
  t.equal(rt.endpoints.policyState(names), before, 'nothing changed: the same snapshot');
  t.equal(at('2022-09-30T23:59:59.999Z'), before, 'the clock moved, but crossed no dated rule');
  const early = reasonAt('2022-09-30T12:00:00Z');
  const late = reasonAt('2022-10-01T00:00:00Z');
  t.not(at('2022-10-01T00:00:00Z'), before, 'crossing 2022-10-01 makes a new snapshot');
  t.match(late, /2022-10-01/, `after the date: ${late}`);
  t.notMatch(early, /2022-10-01/, `before the date: ${early}`);
  t.equal(reasonAt('2022-09-01T00:00:00Z'), early, 'setting the clock back brings the old answer back');

  const s1 = at('2025-01-01T00:00:00Z');
  rt.endpoints.setProfile('hub', 'iothub-tls12');
  const s2 = rt.endpoints.policyState(names);
  t.not(s2, s1, 'a profile switch makes a new snapshot');
  t.equal(cache.decide('3des', h, s2).profile, 'iothub-tls12', 'and the cached decision follows');

  const ecdhe = hello({ suites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], sni: 'dev.azure-devices.net' });
  t.equal((cache.decide('gcm', ecdhe, s2) as Accepted).chain, 'g2');
  await rt.endpoints.setChain('hub', { catalog: 'baltimore' });
  const s3 = rt.endpoints.policyState(names);
  t.not(s3, s2, 'a chain switch makes a new snapshot');
  t.equal(
    (cache.decide('gcm', ecdhe, s3) as Accepted).chain,
    'baltimore',
    'and the cached decision names the new chain',
  );
});
