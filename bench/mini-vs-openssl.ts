/**
 * Handshake rate of the mini engine against OpenSSL on the same machine, same chain and suite:
 * Node tls clients (8 in flight) for a fixed time against the hub (OpenSSL engine) and against the
 * mini engine behind the same hello reader and decide(). Prints handshakes/s and the ratio.
 * Run: npx tsx bench/mini-vs-openssl.ts [seconds]
 */
import tls from 'node:tls';
import { once } from 'node:events';
import t from 'tap';
import { startTestHub, oneEndpoint } from '../test/helpers/hub.js';
import { startMiniEcho } from '../test/helpers/mini-echo.js';

const SECONDS = Number(process.argv[2] ?? 3);

async function rate(port: number, ciphers: string): Promise<number> {
  const until = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async () => {
    while (Date.now() < until) {
      const s = tls.connect({
        port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        maxVersion: 'TLSv1.2',
        ciphers,
        servername: 'myhub.azure-devices.net',
      });
      await once(s, 'secureConnect');
      s.destroy();
      n++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return n / SECONDS;
}

t.test('mini vs OpenSSL handshake rate', async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-legacy', { clientCert: 'none', after: 'close' }));
  const mini = await startMiniEcho(t, th.hub);
  for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'AES128-GCM-SHA256']) {
    const o = await rate(th.port, suite);
    const m = await rate(mini.port, suite);
    t.comment(`${suite}: OpenSSL ${o.toFixed(0)}/s, mini ${m.toFixed(0)}/s, mini/OpenSSL ${(m / o).toFixed(2)}`);
  }
  t.pass('measured');
});
