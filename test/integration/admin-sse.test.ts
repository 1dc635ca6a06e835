/**
 * The SSE stream over a real socket: a real handshake and a timeline action arrive as events, and
 * closing the admin app ends open streams instead of hanging on them.
 */
import t from 'tap';
import http from 'node:http';
import { once } from 'node:events';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';

/** One server-sent event: its name and its JSON data (asserted on with t.match). */
interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}
interface Sse {
  events: SseEvent[];
  ended: Promise<void>;
  next(pred: (e: SseEvent) => boolean): Promise<SseEvent>;
}

/** A minimal EventSource: parses "event:" / "data:" blocks as they arrive. */
function openSse(url: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const events: Sse['events'] = [];
    const waiters: Array<{ pred: (e: Sse['events'][number]) => boolean; res: (e: Sse['events'][number]) => void }> = [];
    http
      .get(url, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!event || data === undefined) continue;
            const e = { event, data: JSON.parse(data) };
            events.push(e);
            for (const w of [...waiters]) {
              if (!w.pred(e)) continue;
              waiters.splice(waiters.indexOf(w), 1);
              w.res(e);
            }
          }
        });
        const ended = once(res, 'end').then(() => undefined);
        resolve({
          events,
          ended,
          next: (pred) =>
            events.find(pred)
              ? Promise.resolve(events.find(pred)!)
              : new Promise((res2) => waiters.push({ pred, res: res2 })),
        });
      })
      .on('error', reject);
  });
}

t.test('GET /events streams handshakes and notices; close ends the stream', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const { th, app, call } = await startAdminUnderTest(t);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const sse = await openSse(`${url}/events?token=${TOKEN}`);
  t.match((await sse.next((e) => e.event === 'hello')).data, { scenario: 'default' });

  await sClient(th.port, ['-servername', 'myhub.azure-devices.net', '-tls1_2', '-cipher', 'AES128-GCM-SHA256']);
  const h = await sse.next((e) => e.event === 'handshake');
  t.match(h.data, { outcome: 'HUBTLS_REFUSED_CIPHER', endpoint: 'hub', alertSent: 'handshake_failure' });

  await call('POST', '/timeline/profile', { endpoint: 'hub', profile: 'iothub-legacy' });
  t.match((await sse.next((e) => e.event === 'notice')).data, {
    what: 'profile',
    endpoint: 'hub',
    profile: 'iothub-legacy',
  });

  await app.close();
  await sse.ended;
  t.pass('app.close() ended the open stream');
});
