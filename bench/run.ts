/**
 * `npm run bench -- startup|handshake|idle|forward|storm|workers|all [--options]`: each bench prints the machine, its
 * baseline (bare Node TLS measured in the same run on the same machine), the hubtls figure and the
 * ratio. Everything runs on 127.0.0.1, bounded in time and count. Results go into bench/RESULTS.md.
 */
import { machineInfo } from './lib/machine.js';
import { build } from './lib/setup.js';
import { say } from './lib/stats.js';
import { startupBench } from './benches/startup.js';
import { handshakeBench } from './benches/handshake.js';
import { idleBench } from './benches/idle.js';
import { forwardBench } from './benches/forward.js';
import { stormBench } from './benches/storm.js';
import { workersBench } from './benches/workers.js';
import { benchNames } from './lib/options.js';

const BENCHES: Record<string, () => Promise<void>> = {
  startup: startupBench,
  handshake: handshakeBench,
  idle: idleBench,
  forward: forwardBench,
  storm: stormBench,
  workers: workersBench,
};

const asked = benchNames();
const names = asked.length === 0 || asked.includes('all') ? Object.keys(BENCHES) : asked;
const unknown = names.filter((n) => !BENCHES[n]);
if (unknown.length) {
  process.stderr.write(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}, all\n`);
  process.exit(2);
}
for (const line of machineInfo()) say(line);
say(`command: npm run bench -- ${process.argv.slice(2).join(' ')}`);
build();
for (const name of names) {
  say();
  const t0 = performance.now();
  await BENCHES[name]!();
  say(`(${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
