/** Child process for the cross-process store test: open DIR, serve CHAIN, print fingerprints. */
import { PkiStore } from '../../src/pki/store.js';

const [dir, chainId] = process.argv.slice(2) as [string, string];
const store = await PkiStore.open(dir);
const c = await store.serve(chainId, { kind: 'iothub' });
process.stdout.write(JSON.stringify([c.leaf, ...c.intermediates, c.root].map((i) => i.fingerprint256)) + '\n');
