/**
 * The hub core's cloud-to-device queue, sans-IO: the clock is a variable the test moves, so lock
 * expiry and TTL are exact and nothing sleeps.
 */
import t from 'tap';
import { C2DQueues, C2DQueueFullError, C2D_DEFAULTS } from '../../src/core/c2d.js';

function setup(options = {}) {
  let ms = Date.parse('2026-01-01T00:00:00Z');
  const q = new C2DQueues(() => new Date(ms), options);
  return { q, tick: (s: number) => (ms += s * 1000) };
}

const body = (s: string) => Buffer.from(s);

t.test('FIFO receive locks: the locked message is not handed out twice; complete removes it', async (t) => {
  const { q } = setup();
  const a = q.enqueue('d', body('a'), { '$.mid': 'm-a', colour: 'red', '$.cid': 'c-1' });
  q.enqueue('d', body('b'));
  t.same([a.messageId, a.sequenceNumber, a.properties, a.correlationId], ['m-a', 1, { colour: 'red' }, 'c-1']);
  const first = q.receive('d')!;
  const second = q.receive('d')!;
  t.same([first.body.toString(), second.body.toString(), second.sequenceNumber], ['a', 'b', 2]);
  t.equal(q.receive('d'), undefined, 'both locked: nothing available');
  t.not(first.lockToken, second.lockToken);
  t.ok(q.complete('d', first.lockToken).ok);
  t.same(
    q.list('d').map((m) => [m.body.toString(), m.locked]),
    [['b', true]],
  );
  const again = q.complete('d', first.lockToken);
  t.same(
    again.ok ? undefined : [again.errorCode, again.code],
    [412020, 'DeviceMessageLockLost'],
    'settled twice: lock lost',
  );
  t.notOk(q.complete('other', second.lockToken).ok, 'a token is only good for its own device');
});

t.test('abandon redelivers with deliveryCount + 1; reject drops', async (t) => {
  const { q } = setup();
  q.enqueue('d', body('x'));
  const d1 = q.receive('d')!;
  t.equal(d1.deliveryCount, 0);
  t.ok(q.abandon('d', d1.lockToken).ok);
  t.notOk(q.abandon('d', d1.lockToken).ok, 'the old lock token is gone');
  const d2 = q.receive('d')!;
  t.same([d2.messageId, d2.deliveryCount], [d1.messageId, 1]);
  t.ok(q.reject('d', d2.lockToken).ok);
  t.equal(q.depth('d'), 0);
});

t.test('lock expiry by the scenario clock: available again, count + 1, the old token lost', async (t) => {
  const { q, tick } = setup({ lockTimeoutSeconds: 30 });
  q.enqueue('d', body('x'));
  let told = 0;
  const off = q.onAvailable('d', () => told++);
  t.equal(told, 0, 'listener added after the enqueue');
  const d1 = q.receive('d')!;
  tick(29.999);
  t.equal(q.receive('d'), undefined, 'still locked just before the timeout');
  tick(0.001);
  const d2 = q.receive('d')!;
  t.equal(told, 1, 'the expired lock made the message available: listeners told');
  t.same([d2.messageId, d2.deliveryCount], [d1.messageId, 1]);
  t.notOk(q.complete('d', d1.lockToken).ok, 'the expired lock token no longer settles');
  t.ok(q.complete('d', d2.lockToken).ok);
  off();
  q.enqueue('d', body('y'));
  t.equal(told, 1, 'unsubscribed');
});

t.test('TTL by the scenario clock (default 1 h, or $.exp): expired messages are dead-lettered', async (t) => {
  const { q, tick } = setup();
  const m = q.enqueue('d', body('old'), { 'iothub-ack': 'negative' });
  t.equal(m.expiry.getTime() - m.enqueuedTime.getTime(), C2D_DEFAULTS.ttlSeconds * 1000);
  q.enqueue('d', body('short'), { '$.exp': new Date(m.enqueuedTime.getTime() + 10_000).toISOString() });
  tick(10);
  t.same(
    q.list('d').map((x) => x.body.toString()),
    ['old'],
    'the one with 10 s expiry is gone at 10 s',
  );
  tick(3590);
  t.equal(q.receive('d'), undefined, 'expired at 1 h');
  t.same(
    q.feedback.drain().map((r) => [r.originalMessageId, r.statusCode]),
    [[m.messageId, 'Expired']],
    'negative ack: an Expired record; the one without ack leaves none',
  );
});

t.test('feedback.drain() counts messages that expired in queues nobody touched since', async (t) => {
  const { q, tick } = setup({ ttlSeconds: 60 });
  const m = q.enqueue('idle', body('x'), { 'iothub-ack': 'full' });
  tick(60);
  t.same(
    q.feedback.drain().map((r) => [r.originalMessageId, r.statusCode]),
    [[m.messageId, 'Expired']],
  );
});

t.test('max queue depth 50 then 403004; settling makes room', async (t) => {
  const { q } = setup();
  for (let i = 0; i < 50; i++) q.enqueue('d', body(String(i)));
  const err = t.throws(() => q.enqueue('d', body('51'))) as C2DQueueFullError;
  t.same(
    [err instanceof C2DQueueFullError, err.errorCode, err.code],
    [true, 403004, 'DeviceMaximumQueueDepthExceeded'],
  );
  t.equal(q.enqueue('other', body('x')).sequenceNumber, 1, 'queues are per device');
  q.complete('d', q.receive('d')!.lockToken);
  t.equal(q.enqueue('d', body('51')).sequenceNumber, 51);
});

t.test('past maxDeliveryCount the message is dead-lettered', async (t) => {
  const { q, tick } = setup({ maxDeliveryCount: 2, lockTimeoutSeconds: 5 });
  q.enqueue('d', body('x'), { 'iothub-ack': 'full', '$.mid': 'poison' });
  q.abandon('d', q.receive('d')!.lockToken); // count 1
  q.receive('d');
  tick(5); // lock expired: count 2
  const third = q.receive('d')!;
  t.equal(third.deliveryCount, 2, 'still delivered at maxDeliveryCount');
  q.abandon('d', third.lockToken); // count 3 > 2
  t.equal(q.depth('d'), 0);
  t.same(
    q.feedback.drain().map((r) => [r.originalMessageId, r.deviceId, r.statusCode]),
    [['poison', 'd', 'DeliveryCountExceeded']],
  );
});

t.test('feedback records follow iothub-ack', async (t) => {
  const { q } = setup();
  const settle = (ack: string, how: 'complete' | 'reject') => {
    q.enqueue('d', body(ack), { 'iothub-ack': ack, '$.mid': `${ack}-${how}` });
    q.settle('d', q.receive('d')!.lockToken, how);
  };
  for (const ack of ['none', 'positive', 'negative', 'full'])
    for (const how of ['complete', 'reject'] as const) settle(ack, how);
  t.same(
    q.feedback.peek().map((r) => [r.originalMessageId, r.statusCode]),
    [
      ['positive-complete', 'Success'],
      ['negative-reject', 'Rejected'],
      ['full-complete', 'Success'],
      ['full-reject', 'Rejected'],
    ],
  );
  t.equal(q.feedback.drain().length, 4);
  t.same(q.feedback.drain(), [], 'drained');
  q.enqueue('gone', body('x'), { 'iothub-ack': 'full' });
  t.equal(q.purge('gone'), 1);
  t.same(
    q.feedback.drain().map((r) => r.statusCode),
    ['Purged'],
  );
});

t.test('onAvailable fires on enqueue and abandon', async (t) => {
  const { q } = setup();
  const seen: string[] = [];
  q.onAvailable('d', () => seen.push('d'));
  q.enqueue('d', body('1'));
  q.enqueue('e', body('1'));
  q.abandon('d', q.receive('d')!.lockToken);
  t.same(seen, ['d', 'd']);
});
