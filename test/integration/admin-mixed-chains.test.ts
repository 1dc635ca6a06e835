/**
 * A mixed rollout in the admin API: /state lists every chain of a weighted endpoint with its weight
 * and share and the seed of the sequence (before, only the first chain showed). Real hub, real
 * admin plugin; the seed a hub drew for an unseeded mix is proven to be the one in force by real
 * Node TLS clients getting exactly the chains that seed draws.
 */
import t from 'tap';
import tls from 'node:tls';
import { once } from 'node:events';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { startAdminUnderTest } from '../helpers/admin.js';
import { State } from '../../src/admin/schemas.js';
import { seededRandom, weightedIndex } from '../../src/util/prng.js';

const HUB = 'myhub.azure-devices.net';
FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

interface Mix {
  seed: number;
  seeded: boolean;
  options: Array<{ weight: number; share: number; chain: { id: string; served: Array<{ cn: string }> } }>;
}

t.test('scenarios/mixed-rollout.yaml: both chains, their weights and seed 42', async (t) => {
  const { call } = await startAdminUnderTest(t, 'scenarios/mixed-rollout.yaml');
  const state = (await call('GET', '/state')).json();
  t.same(
    [...Value.Errors(State, state)].map((e) => `${e.path}: ${e.message}`),
    [],
    'the body matches its schema',
  );
  const rsa = state.endpoints[0].chains.rsa as { id: string; mix: Mix };
  t.equal(rsa.id, 'g2', 'the entry itself is the first option, as before');
  t.match(rsa.mix, { seed: 42, seeded: true });
  t.same(
    rsa.mix.options.map((o) => [o.chain.id, o.weight, o.share]),
    [
      ['g2', 50, 0.5],
      ['baltimore', 50, 0.5],
    ],
    'every chain with its weight and share, in the scenario order',
  );
  t.same(
    rsa.mix.options.map((o) => o.chain.served.map((c) => c.cn)),
    [
      ['*.azure-devices.net', 'Microsoft Azure RSA TLS Issuing CA 03'],
      ['*.azure-devices.net', 'Microsoft RSA TLS CA 01'],
    ],
    'each option with the certificates it serves',
  );

  await t.test('the OpenAPI document describes the mix', async (t) => {
    const doc = (await call('GET', '/docs/json')).json();
    const body = JSON.stringify(doc.paths['/state'].get.responses['200']);
    t.match(body, /"mix"/);
    t.match(body, /the random one drawn when the chains were loaded/);
  });
});

t.test('an unseeded mix: /state tells the seed drawn, and connections follow it', async (t) => {
  const weighted = [
    { chain: 'g2', weight: 3 },
    { chain: 'baltimore', weight: 1 },
  ];
  const { th, call } = await startAdminUnderTest(t, {
    name: 'unseeded-mix',
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        default: true,
        profile: 'iothub-legacy',
        chain: { weighted },
        after: 'mqtt',
      },
    ],
  });
  const mix = (await call('GET', '/state')).json().endpoints[0].chains.rsa.mix as Mix;
  t.equal(mix.seeded, false, 'the scenario gave no seed');
  t.ok(Number.isInteger(mix.seed), `seed ${mix.seed} reported`);
  t.same(
    mix.options.map((o) => [o.chain.id, o.weight, o.share]),
    [
      ['g2', 3, 0.75],
      ['baltimore', 1, 0.25],
    ],
  );
  const random = seededRandom(mix.seed);
  const expected = Array.from({ length: 8 }, () => weighted[weightedIndex([3, 1], random)]!.chain);
  const served: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    // One at a time: the draw order is the accept order.
    const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: false });
    await once(s, 'secureConnect');
    const e = await th.nextHandshake((h) => th.handshakes().indexOf(h) === i);
    served.push(e.chain?.id ?? '?');
    s.end();
    await once(s, 'close');
  }
  t.same(served, expected, 'the chains served are the sequence of the reported seed');
});
