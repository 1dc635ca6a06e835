/**
 * Issue 16, mixed rollout: the weighted chain form is validated with errors that name the field,
 * compiles to a weighted source, and the per-connection draw is repeatable for a seed and follows
 * the weights.
 */
import t from 'tap';
import { problems, scenarioText } from '../helpers/scenario-problems.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { seededRandom, weightedIndex } from '../../src/util/prng.js';
import { describeChainSource } from '../../src/pki/resolve.js';

const ctx = { chainIds: ['g2', 'baltimore', 'ecc-g3', 'msrsa2017'], afterModes: ['hold', 'close', 'mqtt'] };
const scenario = (chain: string, step = '') => `name: w
endpoints:
  - name: hub
    kind: iothub
    hostnames: ["*.azure-devices.net"]
    profile: iothub-2025
    chain: ${chain}
${step}`;

t.test('problems name the file, the field and what was expected', async (t) => {
  const msg = problems(
    scenario('{ weighted: [ { chain: g2, weight: 0 }, { chain: baltimor, weight: 50 } ], seed: -1 }'),
    ctx,
  );
  t.match(msg, /endpoints\[0\]\.chain\.weighted\[0\]\.weight .*found number 0, expected a number > 0/);
  t.match(msg, /endpoints\[0\]\.chain\.seed .*found number -1, expected a number >= 0/);
  const ids = problems(scenario('{ weighted: [ { chain: g2, weight: 50 }, { chain: baltimor, weight: 50 } ] }'), ctx);
  t.match(
    ids,
    /endpoints\[0\]\.chain\.weighted\[1\]\.chain .*found "baltimor", expected a chain id .*did you mean "baltimore"/,
  );
  t.match(problems(scenario('{ weighted: [] }'), ctx), /endpoints\[0\]\.chain\.weighted .*at least 1 item/);
  const step = `timeline:\n  - after: { connections: 1 }\n    chain: { weighted: [ { chain: g3, weight: 1 } ] }\n`;
  t.match(problems(scenario('g2', step), ctx), /timeline\[0\]\.chain\.weighted\[0\]\.chain .*found "g3"/);
});

t.test('compiles to a weighted source, on endpoints and timeline steps', async (t) => {
  const text = scenario(
    '{ weighted: [ { chain: g2, weight: 3 }, { chain: baltimore, weight: 1 } ], seed: 7 }',
    `timeline:\n  - after: { connections: 1 }\n    chain: { weighted: [ { chain: msrsa2017, weight: 1 } ] }\n`,
  );
  const file = scenarioText(text);
  const c = compileScenario(loadScenario(file, ctx));
  t.same(c.endpoints[0]!.chain, {
    weighted: [
      { source: { catalog: 'g2' }, weight: 3 },
      { source: { catalog: 'baltimore' }, weight: 1 },
    ],
    seed: 7,
  });
  t.equal(describeChainSource(c.endpoints[0]!.chain), 'weighted(g2 3, baltimore 1; seed 7)');
  const action = c.timeline[0]!.actions[0]!;
  t.same(action.kind === 'chain' && action.source, { weighted: [{ source: { catalog: 'msrsa2017' }, weight: 1 }] });
});

t.test('a seed gives one sequence; the draws follow the weights', async (t) => {
  const draws = (seed: number, n: number, weights = [50, 50]) => {
    const r = seededRandom(seed);
    return Array.from({ length: n }, () => weightedIndex(weights, r));
  };
  t.same(draws(42, 50), draws(42, 50), 'same seed, same sequence');
  t.not(draws(42, 50).join(), draws(43, 50).join(), 'another seed, another sequence');
  const many = draws(1, 20000, [1, 3]);
  const share = many.filter((i) => i === 1).length / many.length;
  t.ok(share > 0.73 && share < 0.77, `weight 3 of 4 drawn ${(share * 100).toFixed(1)} % of the time`);
  t.same(draws(9, 200, [5]), Array(200).fill(0), 'one option is always drawn');
});

t.test('ChainDraw: seeded draws repeat, unseeded draws differ between runs', async (t) => {
  const { ChainDraw } = await import('../../src/runtime/chain-draw.js');
  const material = (chainId: string) => ({ chainId }) as unknown as import('../../src/pki/types.js').ChainMaterial;
  const options = [
    { material: material('g2'), weight: 1 },
    { material: material('baltimore'), weight: 1 },
  ];
  const run = (seed?: number) => {
    const d = new ChainDraw(options, seed);
    return Array.from({ length: 64 }, () => d.next().chainId).join(',');
  };
  t.equal(run(42), run(42), 'seed 42: the same 64 draws');
  t.not(run(), run(), 'no seed: another sequence each time');
  t.equal(new ChainDraw(options, 1).first.chainId, 'g2', 'the first option stands for the endpoint before any draw');
});
