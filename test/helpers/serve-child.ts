/**
 * Child process for the cross-process store test: open DIR, serve CHAIN, print one JSON line
 * with the served fingerprints and how many keys this process generated.
 */
import { createLogger } from '../../src/events/logger.js';
import { PkiStore } from '../../src/pki/store.js';

const [dir, chainId] = process.argv.slice(2) as [string, string];
let keys = 0;
const log = createLogger({
  level: 'info',
  destination: {
    write: (s: string) => {
      keys += (JSON.parse(s) as { keys?: number }).keys ?? 0;
    },
  },
});
const store = await PkiStore.open(dir, { log });
const c = await store.serve(chainId, { kind: 'iothub' });
process.stdout.write(
  JSON.stringify({ fps: [c.leaf, ...c.intermediates, c.root].map((i) => i.fingerprint256), keys }) + '\n',
);
