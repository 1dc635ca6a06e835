/**
 * DPS over AMQP without a socket: link addresses, request bodies as rhea decodes them, the answers
 * to register / operation status / bad requests from a real DeviceRegistry's DPS, and the
 * oversized-frame check on a rhea connection's pending input, and what the guard stops on a stream.
 */
import t from 'tap';
import { Duplex } from 'node:stream';
import rhea, { type Connection } from 'rhea';
import { DeviceRegistry } from '../../src/core/registry.js';
import { compileDevices } from '../../src/core/compile.js';
import { signSas } from '../../src/core/sas.js';
import { answerRequest, type DpsRequest } from '../../src/after/amqp/dps/requests.js';
import { bodyText, parseRegistration } from '../../src/after/amqp/dps/wire.js';
import { acceptGuarded, MAX_FRAME_SIZE, oversizedFrame, type Violation } from '../../src/after/amqp/dps/guard.js';
import { randomKey } from '../helpers/devices.js';

const ID_SCOPE = '0ne0000C0DE';
const NOW = new Date();

t.test('link addresses and SASL usernames', async (t) => {
  t.same(parseRegistration(`${ID_SCOPE}/registrations/dev-1`), { idScope: ID_SCOPE, registrationId: 'dev-1' });
  t.same(parseRegistration(`/${ID_SCOPE}/registrations/dev%201`), { idScope: ID_SCOPE, registrationId: 'dev 1' });
  for (const bad of ['$cbs', `${ID_SCOPE}/registrations/`, `${ID_SCOPE}/registrations/a/b`, 'x/devices/y', undefined])
    t.equal(parseRegistration(bad), undefined, String(bad));
  t.equal(parseRegistration(`${ID_SCOPE}/registrations/%E0%A4%A`), undefined, 'broken escape');
});

t.test('request bodies as rhea decodes them', async (t) => {
  const json = '{"registrationId":"a"}';
  t.equal(bodyText(rhea.message.data_section(Buffer.from(json))), json, 'data section');
  t.equal(bodyText(Buffer.from(json)), json);
  t.equal(bodyText(json), json);
  t.equal(bodyText(undefined), '');
  t.equal(bodyText({ typecode: 0x77, content: [1] }), '', 'an amqp-value that is not text');
});

t.test('register, poll, and the requests DPS rejects', async (t) => {
  const key = randomKey();
  const devices = compileDevices(
    {
      idScope: ID_SCOPE,
      endpoints: [
        { name: 'hub', kind: 'iothub', hostnames: ['*.azure-devices.net'] },
        { name: 'dps', kind: 'dps', hostnames: ['*.azure-devices-provisioning.net'] },
      ],
      enrollments: [{ registrationId: 'dev-1', attestation: 'symmetric-key', primaryKey: key, deviceId: 'hub-dev-1' }],
    },
    '.',
  );
  const registry = new DeviceRegistry(devices, () => NOW);
  const resource = `${ID_SCOPE}/registrations/dev-1`;
  const sas = signSas(resource, key, Math.floor(NOW.getTime() / 1000) + 3600);
  const who = registry.dps.attest({ idScope: ID_SCOPE, registrationId: 'dev-1', sas, now: NOW });
  if (!who.ok) throw new Error(who.reason);
  const req = (properties: Record<string, string>, body?: unknown): DpsRequest => ({
    correlationId: 'c-1',
    now: NOW,
    properties,
    body,
  });
  const settings = { retryAfterSeconds: 5 };

  const body = rhea.message.data_section(Buffer.from('{"registrationId":"dev-1","payload":{"model":"x"}}'));
  const reg = answerRequest(registry.dps, who, req({ 'iotdps-operation-type': 'iotdps-register' }, body), settings);
  t.notOk(reg.reject);
  t.equal(reg.reply?.correlation_id, 'c-1', 'the reply carries the request correlation id');
  t.match(reg.reply?.application_properties, { 'retry-after': '5', 'iotdps-status': 'assigning' });
  const answer = JSON.parse(reg.reply!.body.toString()) as { operationId: string; status: string };
  t.equal(answer.status, 'assigning');
  t.match(reg.event, { action: 'dps-register', ok: true, status: 202 });
  t.equal(registry.get('hub-dev-1'), undefined, 'assigned only when polled');

  const poll = { 'iotdps-operation-type': 'iotdps-get-operationstatus', 'iotdps-operation-id': answer.operationId };
  const st = answerRequest(registry.dps, who, req(poll, ''), settings);
  t.match(JSON.parse(st.reply!.body.toString()), { status: 'assigned', registrationState: { deviceId: 'hub-dev-1' } });
  t.match(st.event, { action: 'dps-status', ok: true, status: 200, deviceId: 'hub-dev-1' });
  t.ok(registry.get('hub-dev-1'), 'the hub has the device');

  const rejected = (r: ReturnType<typeof answerRequest>) => ({
    condition: r.reject?.condition,
    errorCode: (JSON.parse(r.reject?.description ?? '{}') as { errorCode?: number }).errorCode,
    reply: r.reply,
  });
  const other = Buffer.from('{"registrationId":"dev-2"}');
  t.same(
    rejected(answerRequest(registry.dps, who, req({ 'iotdps-operation-type': 'iotdps-register' }, other), settings)),
    {
      condition: 'com.microsoft:argument-error',
      errorCode: 400004,
      reply: undefined,
    },
  );
  const unknownOp = { ...poll, 'iotdps-operation-id': 'nope' };
  t.same(rejected(answerRequest(registry.dps, who, req(unknownOp), settings)), {
    condition: 'amqp:not-found',
    errorCode: 404002,
    reply: undefined,
  });
  t.same(rejected(answerRequest(registry.dps, who, req({}), settings)), {
    condition: 'com.microsoft:argument-error',
    errorCode: 400001,
    reply: undefined,
  });
});

t.test('oversized frames are seen in rhea pending input', async (t) => {
  const c = rhea.create_container().create_connection({});
  const pending = (b: Buffer | null) => ((c as unknown as { previous_input: Buffer | null }).previous_input = b);
  const header = (size: number) =>
    Buffer.from([size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, 2, 0]);
  pending(null);
  t.equal(oversizedFrame(c), undefined, 'nothing pending');
  pending(Buffer.from('AMQP\x03'));
  t.equal(oversizedFrame(c), undefined, 'a split protocol header is not a frame');
  pending(header(MAX_FRAME_SIZE));
  t.equal(oversizedFrame(c), undefined, 'max-frame-size itself is allowed');
  pending(header(MAX_FRAME_SIZE + 1));
  t.match(oversizedFrame(c), { condition: 'amqp:connection:framing-error', detail: { size: MAX_FRAME_SIZE + 1 } });
});

t.test("a violation stops rhea and the guard, not the stream's other listeners", async (t) => {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  const other: Buffer[] = [];
  stream.on('data', (b: Buffer) => other.push(b)); // e.g. a layer under the session counting bytes
  const c = rhea.create_container();
  c.sasl_server_mechanisms.enable_anonymous();
  const seen: Violation[] = [];
  const accept = () => (c.create_connection({}) as unknown as { accept(d: Duplex): Connection }).accept(stream);
  acceptGuarded(
    accept,
    stream,
    (conn) => [() => oversizedFrame(conn)],
    (v) => seen.push(v),
  );
  t.equal(stream.listenerCount('data'), 3, 'the other layer, rhea, the guard');
  const ended = new Promise((resolve) => stream.once('finish', resolve));
  stream.push(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0])); // AMQP 1.0 header, no SASL
  stream.push(Buffer.from([0, 0x10, 0, 0, 2, 0, 0, 0, 1, 2, 3])); // a 1 MB frame begins
  await ended;
  t.match(seen, [{ condition: 'amqp:connection:framing-error', detail: { size: 0x100000 } }]);
  t.equal(stream.listenerCount('data'), 1, 'only the other layer still listens');
  t.equal(other.length, 2, 'it saw every chunk');
  t.ok(
    Buffer.concat(written).subarray(0, 8).equals(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')),
    'rhea answered the header',
  );
  stream.destroy();
});
