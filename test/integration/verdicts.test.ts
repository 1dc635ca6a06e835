/**
 * Inferred chain rejections reach the admin API (issue 13, item 12): a real Node.js TLS client that
 * does not trust the served root (rejectUnauthorized, no ca) completes the handshake and hangs up;
 * hubtls infers HUBTLS_CLIENT_REJECTED_CHAIN, and that final verdict shows in /handshakes and its
 * ?outcome= filter (the handshake's own outcome kept as handshakeOutcome), on SSE and in /metrics.
 */
import t from 'tap';
import tls from 'node:tls';
import { once } from 'node:events';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { nextEvent } from '../helpers/events.js';
import { openSse } from '../helpers/sse.js';
import { Value } from '@sinclair/typebox/value';
import { HubEvent, type VerdictEvent } from '../../src/events/types.js';

const HUB = 'myhub.azure-devices.net';

t.test('a Node client that rejects the chain gets its final verdict everywhere', async (t) => {
  const { th, app, call } = await startAdminUnderTest(t);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const sse = await openSse(`${url}/events?token=${TOKEN}`);
  await sse.next((e) => e.event === 'hello');

  const refusal = await new Promise<Error>((resolve) =>
    tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: true }).once('error', resolve),
  );
  t.match(refusal.message, /unable to get local issuer certificate|self.signed/, 'the client refused our chain');
  const handshake = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
  const verdict = await nextEvent(th, (e: HubEvent): e is VerdictEvent => e.type === 'verdict');
  t.match(verdict, {
    conn: handshake.conn,
    endpoint: 'hub',
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    handshakeOutcome: 'HUBTLS_ACCEPTED',
    inferred: true,
  });
  t.ok(Value.Check(HubEvent, verdict), 'the verdict event matches its TypeBox definition in the HubEvent union');
  t.match(
    verdict.reason,
    /\(leaf \*\.azure-devices\.net\)/,
    'the reason names the leaf served (from the loaded chain)',
  );

  await t.test('/handshakes shows the final verdict; ?outcome= filters on it', async (t) => {
    const rejected = (await call('GET', '/handshakes?outcome=HUBTLS_CLIENT_REJECTED_CHAIN')).json();
    t.equal(rejected.handshakes.length, 1);
    t.match(rejected.handshakes[0], {
      conn: handshake.conn,
      outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
      handshakeOutcome: 'HUBTLS_ACCEPTED',
      reason: /without sending a byte/,
      handshakeReason: handshake.reason,
      negotiated: { version: handshake.negotiated?.version },
    });
    const accepted = (await call('GET', '/handshakes?outcome=HUBTLS_ACCEPTED')).json();
    t.notOk(
      accepted.handshakes.some((h: { conn: number }) => h.conn === handshake.conn),
      'no longer listed as accepted',
    );
  });

  await t.test('SSE carries the verdict after the handshake', async (t) => {
    const h = await sse.next((e) => e.event === 'handshake' && e.data.conn === handshake.conn);
    const v = await sse.next((e) => e.event === 'verdict' && e.data.conn === handshake.conn);
    t.match(v.data, { outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN', handshakeOutcome: 'HUBTLS_ACCEPTED' });
    t.ok(sse.events.indexOf(h) < sse.events.indexOf(v), 'handshake first, then its verdict');
  });

  await t.test('/metrics counts the verdict', async (t) => {
    const text = (await call('GET', '/metrics')).body;
    t.match(
      text,
      /^hubtls_verdicts_total\{outcome="HUBTLS_CLIENT_REJECTED_CHAIN",handshake_outcome="HUBTLS_ACCEPTED",endpoint="hub"\} 1$/m,
    );
  });
});

t.test('a connection the hub drops is not judged as a client rejecting the chain', async (t) => {
  const { th, call } = await startAdminUnderTest(t);
  const from = th.events.length;
  const quiet = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: false });
  await once(quiet, 'secureConnect');
  const accepted = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED');
  const closed = once(quiet, 'close');
  t.equal((await call('POST', '/timeline/drop', {})).statusCode, 200);
  await closed;
  // A client that does reject the chain, after the drop: its verdict is the first one published.
  await new Promise((resolve) =>
    tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: true }).once('error', resolve),
  );
  const verdict = await nextEvent(th, (e: HubEvent): e is VerdictEvent => e.type === 'verdict', 10000, from);
  t.not(verdict.conn, accepted.conn, 'the dropped connection got no verdict of its own');
  const rejected = th.events
    .slice(from)
    .filter((e) => e.type === 'session' && e.conn === accepted.conn && e.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
  t.same(rejected, [], 'and no inferred rejection session event');
});

t.test(
  'after a handshake a fault acted on, the verdict amends HUBTLS_FAULT_INJECTED, not HUBTLS_ACCEPTED',
  async (t) => {
    const { th, call } = await startAdminUnderTest(t);
    await th.hub.runtime.faults.start({ endpoint: 'hub', fault: 'delay-server-hello', params: { ms: 20 } });
    await new Promise((resolve) =>
      tls
        .connect({ host: '127.0.0.1', port: th.port, servername: HUB, rejectUnauthorized: true })
        .once('error', resolve),
    );
    const handshake = await th.nextHandshake();
    t.match(handshake, { outcome: 'HUBTLS_FAULT_INJECTED', faults: [{ fault: 'delay-server-hello' }] });
    const verdict = await nextEvent(th, (e: HubEvent): e is VerdictEvent => e.type === 'verdict');
    t.match(verdict, {
      conn: handshake.conn,
      outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
      handshakeOutcome: 'HUBTLS_FAULT_INJECTED',
      inferred: true,
    });
    const [listed] = (await call('GET', `/handshakes?outcome=HUBTLS_CLIENT_REJECTED_CHAIN`)).json().handshakes;
    t.match(
      listed,
      { conn: handshake.conn, handshakeOutcome: 'HUBTLS_FAULT_INJECTED' },
      '/handshakes keeps what the handshake said',
    );
    t.match(
      (await call('GET', '/metrics')).body,
      /^hubtls_verdicts_total\{outcome="HUBTLS_CLIENT_REJECTED_CHAIN",handshake_outcome="HUBTLS_FAULT_INJECTED",endpoint="hub"\} 1$/m,
    );
  },
);
