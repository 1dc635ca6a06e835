/**
 * Fault definitions and selection without sockets: every fault explains itself, params are
 * validated with paths and suggestions, scoping (every Nth, probability) picks the right
 * connections, and the record helpers frame what transforms see.
 */
import t from 'tap';
import { FAULTS, faultNames } from '../../src/faults/registry.js';
import { FaultSet } from '../../src/faults/fault-set.js';
import { checkFaultSpec, paramProblems, withDefaults } from '../../src/faults/params.js';
import { RecordBuffer, frameRecord, handshakeMessages } from '../../src/tls/wire/records.js';
import { ContentType as CONTENT, HandshakeType as HANDSHAKE } from '../../src/tls/wire/constants.js';
import type { FaultSpec } from '../../src/faults/types.js';

const spec = (over: Partial<FaultSpec>): FaultSpec => ({
  id: 'f',
  endpoint: 'hub',
  fault: 'stall',
  params: {},
  active: true,
  ...over,
});

t.test('every fault: a name, a summary, valid example params and an explanation of what a device sees', async (t) => {
  t.same(faultNames(), [
    'reset-after-hello',
    'close-after-server-hello',
    'delay-server-hello',
    'slow-bytes',
    'stall',
    'kill-after',
    'truncate-chain',
    'serve-defect',
    'oversize-records',
    'tiny-records',
    'bad-signature',
  ]);
  for (const f of FAULTS) {
    const params = withDefaults(f, f.example ?? {});
    t.same(paramProblems(f, params), [], `${f.name}: example params are valid`);
    t.match(f.explain(params as never), /device|server|connection|client/, `${f.name}: ${f.explain(params as never)}`);
    t.ok(f.summary.length > 10);
  }
});

t.test('params: defaults, type errors, cross-field rules', async (t) => {
  const slow = FAULTS.find((f) => f.name === 'slow-bytes')!;
  t.same(withDefaults(slow, {}), { bytes: 64, intervalMs: 100 });
  t.same(withDefaults(slow, { bytes: 10 }), { bytes: 10, intervalMs: 100 });
  const kill = FAULTS.find((f) => f.name === 'kill-after')!;
  t.same(paramProblems(kill, {}), ['params: expected params.seconds or params.bytes (or both)']);
  t.match(paramProblems(kill, { bytes: 'many' })[0], /params\.bytes: Expected integer/);
  t.throws(() => checkFaultSpec(spec({ fault: 'stal' }), ['hub'], []), {
    code: 'HUBTLS_UNKNOWN_FAULT',
    message: /unknown fault "stal" \(did you mean "stall"\?\)/,
  });
  t.throws(
    () =>
      checkFaultSpec(
        spec({ fault: 'serve-defect', params: { chain: 'expird' }, endpoint: 'hb', probability: 2 }),
        ['hub'],
        ['expired'],
      ),
    {
      code: 'HUBTLS_BAD_FAULT',
      message:
        /endpoint: "hb" is not an endpoint \(hub\) \(did you mean "hub"\?\); params: chain "expird" is not a catalog chain \(did you mean "expired"\?\); probability: expected a number > 0 and <= 1/,
    },
  );
});

t.test('scope: every Nth connection of its endpoint, counted while active', async (t) => {
  const set = new FaultSet();
  set.replace([spec({ id: 'third', everyNth: 3 }), spec({ id: 'other', endpoint: 'dps' })]);
  const picks = Array.from({ length: 7 }, () =>
    set
      .select('hub')
      .map((f) => f.spec.id)
      .join(),
  );
  t.same(picks, ['', '', 'third', '', '', 'third', '']);
  set.setActive('third', false);
  t.same(set.select('hub'), [], 'stopped');
  set.setActive('third', true);
  t.same(
    [set.select('hub'), set.select('hub'), set.select('hub')].map((x) => x.length),
    [0, 0, 1],
    'counting starts over when started again',
  );
  t.equal(set.select('dps')[0]?.spec.id, 'other');
});

t.test('scope: probability uses the injected random source', async (t) => {
  const rolls = [0.1, 0.9, 0.49, 0.5];
  const set = new FaultSet(() => rolls.shift()!);
  set.replace([spec({ probability: 0.5 })]);
  t.same(
    [1, 2, 3, 4].map(() => set.select('hub').length),
    [1, 0, 1, 0],
  );
});

t.test('replace keeps the state of unchanged faults (hot reload)', async (t) => {
  const set = new FaultSet();
  set.replace([spec({ id: 'a', active: false }), spec({ id: 'b' })]);
  set.setActive('a', true);
  set.select('hub');
  set.replace([spec({ id: 'a', active: false }), spec({ id: 'b', everyNth: 2 })]);
  t.match(set.get('a'), { active: true, seen: 1 }, 'unchanged: still started, counter kept');
  t.match(set.get('b'), { seen: 0 }, 'changed: starts over');
  t.throws(() => set.get('c'), { code: 'HUBTLS_UNKNOWN_FAULT_ID', message: /no fault with id "c"/ });
  t.throws(() => set.add(spec({ id: 'a' })), { code: 'HUBTLS_FAULT_EXISTS' });
});

t.test('records: whole records from arbitrary chunks; handshake messages inside them', async (t) => {
  const hello = Buffer.concat([Buffer.from([HANDSHAKE.serverHello, 0, 0, 3]), Buffer.from('abc')]);
  const cert = Buffer.concat([Buffer.from([HANDSHAKE.certificate, 0, 0, 2]), Buffer.from('xy')]);
  const wire = Buffer.concat([
    frameRecord(CONTENT.handshake, 0x0303, Buffer.concat([hello, cert])),
    frameRecord(CONTENT.alert, 0x0303, Buffer.from([2, 40])),
  ]);
  const rb = new RecordBuffer();
  const out = [...rb.push(wire.subarray(0, 3)), ...rb.push(wire.subarray(3, 14)), ...rb.push(wire.subarray(14))];
  t.same(
    out.map((r) => r.type),
    [CONTENT.handshake, CONTENT.alert],
  );
  t.equal(rb.waiting, 0);
  t.same(
    handshakeMessages(out[0]!).map((m) => [m.type, m.raw.length]),
    [
      [2, 7],
      [11, 6],
    ],
  );
  t.same(Buffer.concat(out.map((r) => r.raw)), wire, 'raw bytes are the wire bytes');
});
