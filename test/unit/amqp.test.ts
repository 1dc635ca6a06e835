/**
 * The sans-IO parts of `after: amqp` without a socket: the frame guard, link addresses, the CBS
 * judgement and link authorization (tokens made by the SDK's own signer), the twin requests, the
 * messages IoT Hub writes and reads.
 */
import t from 'tap';
import azureCommon from 'azure-iot-common';
import rhea, { type Message } from 'rhea';
import { AmqpFrameGuard, AMQP_HEADER, AMQP_MAX_FRAME_SIZE } from '../../src/after/amqp/frames.js';
import { c2dTarget, parseAddress } from '../../src/after/amqp/addresses.js';
import {
  authorizeDeviceLink,
  authorizeServiceLink,
  judgePutToken,
  readPutToken,
  type Claim,
} from '../../src/after/amqp/cbs.js';
import { twinRequest } from '../../src/after/amqp/twin.js';
import { bodyBytes, c2dMessage, c2dProperties } from '../../src/after/amqp/messages.js';
import { DeviceRegistry } from '../../src/core/registry.js';
import { compileDevices } from '../../src/core/compile.js';
import { randomKey } from '../helpers/devices.js';

const HUB = 'myhub.azure-devices.net';
const NOW = new Date('2026-06-01T12:00:00Z');
const nowS = Math.floor(NOW.getTime() / 1000);
const KEY = randomKey();
const OWNER = {
  name: 'iothubowner',
  primaryKey: randomKey(),
  secondaryKey: randomKey(),
  rights: ['ServiceConnect', 'DeviceConnect'],
};
const DEVICE = { name: 'device', primaryKey: randomKey(), secondaryKey: randomKey(), rights: ['DeviceConnect'] };

function registry(): DeviceRegistry {
  const config = compileDevices(
    {
      deviceCAs: [],
      devices: [{ id: 'd1', auth: 'sas', primaryKey: KEY, modules: [{ id: 'm1', primaryKey: KEY }] }],
      policies: [OWNER, DEVICE] as never,
      endpoints: [],
    },
    '.',
  );
  return new DeviceRegistry(config, () => NOW);
}

const sas = (resource: string, key: string, ttl = 3600, policy?: string) =>
  azureCommon.SharedAccessSignature.create(resource, policy as never, key, String(nowS + ttl)).toString();

const put = (token: string, audience = HUB): Message =>
  ({
    message_id: 'id-1',
    reply_to: 'cbs',
    application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
    body: token,
  }) as Message;

function frame(size: number, doff = 2, type = 0): Buffer {
  const b = Buffer.from([0, 0, 0, 0, doff, type, 0, 0]);
  b.writeUInt32BE(size);
  return b;
}

t.test('frame guard: headers, sizes, data offset, type; split anywhere', async (t) => {
  const g = new AmqpFrameGuard();
  const good = Buffer.concat([AMQP_HEADER, frame(12), Buffer.alloc(4), frame(8)]);
  for (const b of good) t.same(g.check(Buffer.from([b])).problem, undefined);
  t.equal(g.current, 'amqp');

  const sasl = new AmqpFrameGuard();
  const saslHeader = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
  t.same(sasl.check(Buffer.concat([saslHeader, frame(8, 2, 1), AMQP_HEADER, frame(8)])), { end: 32 });
  t.equal(sasl.current, 'amqp', 'the AMQP header after SASL');

  const big = new AmqpFrameGuard().check(Buffer.concat([AMQP_HEADER, frame(8), frame(AMQP_MAX_FRAME_SIZE + 1)]));
  t.equal(big.end, 16, 'the sound prefix still goes to rhea');
  t.match(big.problem, {
    condition: 'amqp:connection:framing-error',
    description: /over the max-frame-size/,
    layer: 'amqp',
  });
  t.match(new AmqpFrameGuard().check(Buffer.concat([AMQP_HEADER, frame(4)])).problem, {
    description: /below the 8-byte/,
  });
  t.match(new AmqpFrameGuard().check(Buffer.concat([AMQP_HEADER, frame(8, 1)])).problem, {
    description: /data offset 1/,
  });
  t.match(new AmqpFrameGuard().check(Buffer.concat([AMQP_HEADER, frame(8, 2, 1)])).problem, {
    description: /frame type 1/,
  });
  t.match(new AmqpFrameGuard().check(Buffer.from('GET / HTTP/1.1\r\n')).problem, {
    layer: 'none',
    description: /not an AMQP 1.0/,
  });
  t.match(new AmqpFrameGuard().check(Buffer.concat([AMQP_HEADER, AMQP_HEADER])).problem, {
    description: /max-frame-size/,
  });
});

t.test('addresses: what IoT Hub serves, by the hub side of the link', async (t) => {
  t.match(parseAddress('/devices/d1/messages/events', 'receiver'), { kind: 'telemetry', deviceId: 'd1', linkId: 'd1' });
  t.match(parseAddress('/devices/d1/messages/devicebound', 'sender'), { kind: 'c2d' });
  t.match(parseAddress('/devices/d1/modules/m1/messages/events', 'sender'), { kind: 'module-inputs', linkId: 'd1/m1' });
  t.match(parseAddress('/devices/d%201/twin', 'sender'), { kind: 'twin', deviceId: 'd 1' });
  t.match(parseAddress('amqps://myhub/devices/d1/methods/devicebound', 'receiver'), { kind: 'methods' });
  t.match(parseAddress('/messages/devicebound', 'receiver'), { kind: 'service-c2d' });
  t.match(parseAddress('/messages/serviceBound/feedback', 'sender'), { kind: 'service-feedback' });
  t.match(parseAddress('$cbs', 'sender'), { kind: 'cbs' });
  t.match(
    parseAddress('/devices/d1/messages/events', 'sender'),
    { kind: 'unknown' },
    'a device cannot receive its telemetry',
  );
  t.match(parseAddress('/devices/d1/files', 'receiver'), { kind: 'unknown', why: /serves no sending link/ });
  t.match(parseAddress(undefined, 'receiver'), { kind: 'unknown' });
  t.equal(c2dTarget('/devices/d%2F1/messages/devicebound'), 'd/1');
  t.equal(c2dTarget('/devices/d1/messages/events'), undefined);
});

t.test('CBS: put-token judged by the hub core; claims authorize links', async (t) => {
  const reg = registry();
  t.match(readPutToken({ ...put('x'), application_properties: { operation: 'get-token' } } as Message), {
    error: /put-token/,
  });
  const device = readPutToken(put(sas(`${HUB}/devices/d1`, KEY)));
  if ('error' in device) throw new Error(device.error);
  const ok = judgePutToken(reg, device, NOW);
  t.match(ok, {
    status: 200,
    claim: { key: `${HUB}/devices/d1`, scope: { kind: 'device', identity: { deviceId: 'd1' } } },
  });
  t.match(judgePutToken(reg, { ...device, token: sas(`${HUB}/devices/d1`, randomKey()) }, NOW), {
    status: 401,
    description: /signature does not match/,
    refusal: { outcome: 'HUBTLS_DEVICE_UNAUTHORIZED' },
  });
  t.match(judgePutToken(reg, { ...device, token: sas(`${HUB}/devices/d1`, KEY, -10) }, NOW), {
    status: 401,
    description: /expired/,
  });
  t.match(judgePutToken(reg, { ...device, token: sas(`${HUB}/devices/d9`, KEY) }, NOW), {
    status: 401,
    description: /d9/,
  });
  t.match(judgePutToken(reg, { ...device, token: sas(HUB, KEY) }, NOW), { status: 401, description: /skn/ });
  const owner = judgePutToken(reg, { ...device, token: sas(HUB, OWNER.primaryKey, 3600, 'iothubowner') }, NOW);
  t.match(owner, { status: 200, claim: { scope: { kind: 'hub' } } });
  const devOnly = judgePutToken(reg, { ...device, token: sas(HUB, DEVICE.primaryKey, 3600, 'device') }, NOW);
  t.match(devOnly, { status: 200 }, 'a DeviceConnect policy may put a hub-wide token');

  const claims = (...answers: unknown[]) => answers.map((a) => (a as { claim: Claim }).claim);
  const d1 = { deviceId: 'd1', linkId: 'd1' };
  const m1 = { deviceId: 'd1', moduleId: 'm1', linkId: 'd1/m1' };
  const o = { hubHost: HUB, now: NOW };
  t.match(authorizeDeviceLink(reg, claims(ok), d1, o), { ok: true, via: `${HUB}/devices/d1` });
  t.match(
    authorizeDeviceLink(reg, claims(ok), m1, o),
    { ok: false, errorCode: 401002, reason: /no put-token/ },
    'a device token is not a module token',
  );
  t.match(authorizeDeviceLink(reg, claims(owner), m1, o), { ok: true }, 'a DeviceConnect policy covers modules');
  t.match(authorizeDeviceLink(reg, claims(ok), d1, { ...o, now: new Date(NOW.getTime() + 7200_000) }), {
    ok: false,
    reason: /expired/,
  });
  t.match(authorizeServiceLink(reg, claims(owner), NOW), { ok: true, detail: /ServiceConnect/ });
  t.match(authorizeServiceLink(reg, claims(ok, devOnly), NOW), { ok: false, reason: /lacks the ServiceConnect right/ });
});

t.test('twin requests: GET, PATCH reported, desired notifications, refusals', async (t) => {
  const reg = registry();
  const d1 = { deviceId: 'd1', linkId: 'd1' };
  const req = (operation: string, resource?: string, body?: string) =>
    ({
      correlation_id: 'c1',
      message_annotations: { operation, ...(resource ? { resource } : {}) },
      ...(body ? { body } : {}),
    }) as Message;
  const get = twinRequest(reg, d1, req('GET'), NOW);
  t.match(get.response, { correlation_id: 'c1', message_annotations: { status: 200 } });
  t.same(JSON.parse(bodyBytes(get.response.body)!.toString()), reg.get('d1')!.twin);
  const patch = twinRequest(reg, d1, req('PATCH', '/properties/reported', '{"fw":"1"}'), NOW);
  t.match(patch.response, { message_annotations: { status: 204, version: 2 } });
  t.equal(reg.get('d1')!.twin.reported.fw, '1');
  t.match(twinRequest(reg, d1, req('PATCH', '/properties/reported', '[1]'), NOW).response, {
    message_annotations: { status: 400 },
  });
  t.equal(twinRequest(reg, d1, req('PUT', '/notifications/twin/properties/desired'), NOW).subscribe, true);
  t.equal(twinRequest(reg, d1, req('DELETE', '/notifications/twin/properties/desired'), NOW).subscribe, false);
  t.match(twinRequest(reg, d1, req('POST', '/x'), NOW).event, { ok: false, status: 400 });
  const m1 = { deviceId: 'd1', moduleId: 'm1', linkId: 'd1/m1' };
  twinRequest(reg, m1, req('PATCH', '/properties/reported', '{"stage":"x"}'), NOW);
  t.equal(reg.get('d1')!.modules.get('m1')!.twin.reported.stage, 'x', 'a module patches its own twin');
});

t.test('messages: C2D out with IoT Hub properties, the service message into the core bag', async (t) => {
  const reg = registry();
  reg.sendC2D('d1', 'hello', { '$.mid': 'm-1', '$.cid': 'c-1', 'iothub-ack': 'full', color: 'red' });
  const m = c2dMessage(reg.c2d.receive('d1')!);
  t.match(m, {
    message_id: 'm-1',
    correlation_id: 'c-1',
    to: '/devices/d1/messages/deviceBound',
    delivery_count: 0,
    application_properties: { color: 'red', 'iothub-ack': 'full' },
  });
  t.equal(bodyBytes(m.body)!.toString(), 'hello');
  // As rhea decodes what the service SDK sends: a uuid message id as 16 bytes, expiry as ms.
  const uuid = rhea.generate_uuid();
  const props = c2dProperties({
    message_id: rhea.string_to_uuid(uuid),
    absolute_expiry_time: NOW.getTime(),
    application_properties: { 'iothub-ack': 'negative', n: 1 },
    body: rhea.message.data_section(Buffer.from('x')),
  } as unknown as Message);
  t.same(props, { 'iothub-ack': 'negative', n: '1', '$.mid': uuid, '$.exp': NOW.toISOString() });
  t.equal(
    bodyBytes({ typecode: 0x75, multiple: true, content: [Buffer.from('a'), Buffer.from('b')] })!.toString(),
    'ab',
  );
  t.equal(bodyBytes({ a: 1 })!.toString(), '{"a":1}');
});
