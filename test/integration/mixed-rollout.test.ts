/**
 * Issue 16, mixed rollout: scenarios/mixed-rollout.yaml serves g2 and baltimore 50/50 per connection
 * with seed 42. Real clients: openssl s_client trusting only Baltimore connects on the baltimore
 * draws and refuses the g2 draws (unknown_ca), every handshake event names the chain it was served
 * (`chain.id`, or the reason of a refused one),
 * and a restarted hub serves the same sequence to Node TLS clients (the seed makes it repeatable). A
 * timeline step switches to a weighted mix too.
 */
import t from 'tap';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { exportedTrust, ROOT } from '../helpers/trust.js';
import { verdict } from '../helpers/verdict.js';
import { nextNotice } from '../helpers/events.js';
import { seededRandom, weightedIndex } from '../../src/util/prng.js';

const FILE = 'scenarios/mixed-rollout.yaml';
/** Seed 42 over [g2 50, baltimore 50], as the scenario's header promises. */
const SEED_42 = ['baltimore', 'g2', 'baltimore', 'baltimore', 'g2', 'baltimore', 'g2', 'baltimore'];
const HOST = ['-servername', 'myhub.azure-devices.net', '-verify_return_error'];

t.test('seed 42: the documented sequence is what the PRNG draws', async (t) => {
  const r = seededRandom(42);
  t.same(
    SEED_42.map(() => (['g2', 'baltimore'] as const)[weightedIndex([50, 50], r)]),
    SEED_42,
  );
});

t.test('a device trusting only Baltimore: connects on the baltimore draws, refuses the g2 draws', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, FILE)]);
  const results = [];
  // One at a time: the draw order is the accept order.
  for (let i = 0; i < SEED_42.length; i++)
    results.push(await sClient(th.port, [...HOST, '-CAfile', trust.file(ROOT.baltimore)]));
  const events = await Promise.all(SEED_42.map((_, i) => th.nextHandshake((e) => th.handshakes().indexOf(e) === i)));
  // A completed handshake has the chain in `chain.id`; a refused one names it in the reason.
  const served = (e: (typeof events)[number]) => e.chain?.id ?? /client rejected our chain (\S+)/.exec(e.reason)?.[1];
  t.same(events.map(served), SEED_42, 'each handshake event names the chain it was served, in the seeded order');
  for (const [i, chain] of SEED_42.entries()) {
    const e = events[i]!;
    if (chain === 'baltimore') {
      t.equal(verdict(results[i]!), 0, `#${i + 1} baltimore: verified`);
      t.equal(e.outcome, 'HUBTLS_ACCEPTED');
      t.match(e.reason, /RSA chain baltimore/);
    } else {
      t.equal(verdict(results[i]!), 20, `#${i + 1} g2: unable to get local issuer certificate`);
      t.same([e.outcome, e.alertReceived], ['HUBTLS_CLIENT_REJECTED_CHAIN', 'unknown_ca']);
      t.match(e.reason, /client rejected our chain g2 \(root .*CN=DigiCert Global Root G2\)/);
      t.equal(e.chain, undefined, 'no chain field: the handshake did not complete');
    }
  }
});

t.test('repeatable: a restarted hub serves the same sequence (Node TLS clients)', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, FILE)]);
  const ca = trust.pem(ROOT.legacyBundle);
  const served: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await nodeConnect(th.port, { ca });
    t.ok(r.ok, `#${i + 1}: a device trusting Baltimore and G2 always connects`);
    served.push((await th.nextHandshake((e) => th.handshakes().indexOf(e) === i)).chain!.id);
  }
  t.same(served, SEED_42.slice(0, 5));
});

t.test('a timeline step can switch to a weighted mix', async (t) => {
  const th = await startTestHub(t, {
    ...oneEndpoint('iothub-2025', { after: 'close' }),
    timeline: [
      {
        after: { connections: 1 },
        chain: {
          weighted: [
            { chain: 'g2', weight: 1 },
            { chain: 'msrsa2017', weight: 3 },
          ],
          seed: 7,
        },
      },
    ],
  });
  const trust = await exportedTrust();
  const ca = trust.pem(ROOT.g2) + trust.pem(ROOT.msrsa2017);
  const r = seededRandom(7);
  const expected = ['g2', ...Array.from({ length: 6 }, () => (['g2', 'msrsa2017'] as const)[weightedIndex([1, 3], r)])];
  const served: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const r = await nodeConnect(th.port, { ca });
    t.ok(r.ok, r.message ?? 'connected');
    served.push((await th.nextHandshake((e) => th.handshakes().indexOf(e) === i)).chain!.id);
    // The step runs on the first handshake event; wait for its notice before the next connection.
    if (i === 0) await nextNotice(th, 'chain');
  }
  t.same(served, expected);
  t.ok(served.includes('msrsa2017') && served.slice(1).includes('g2'), 'both chains of the mix appear');
});
