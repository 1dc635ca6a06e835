/**
 * MQTT packet size limits (issue 13, item 3): a device that claims a huge remaining length is closed
 * when the fixed header arrives, with a session event naming the limit, and the bytes it streams are
 * never buffered, so memory comes back. A 256 KiB message (IoT Hub's limit) still goes through.
 */
import t from 'tap';
import tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import azureDevice from 'azure-iot-device';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { CONNECT_LIMIT, MESSAGE_LIMIT, PACKET_LIMIT } from '../../src/after/mqtt/limits.js';

const HUB = 'myhub.azure-devices.net';
const MB = 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap + buffers after a full collection, in MB. */
function memory(): { heap: number; buffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MB, buffers: m.arrayBuffers / MB, rss: m.rss / MB };
}

const fmt = (m: ReturnType<typeof memory>) =>
  `heap ${m.heap.toFixed(1)} MB, buffers ${m.buffers.toFixed(1)} MB, rss ${m.rss.toFixed(1)} MB`;

/** The largest remaining length MQTT can say: 268,435,455 (0xff 0xff 0xff 0x7f). */
const HUGE_PUBLISH_HEADER = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);

t.test('MQTT packets are bounded by IoT Hub limits', async (t) => {
  const trust = await exportedTrust();
  const key = randomKey();
  const th = await startTestHub(t, {
    name: 'mqtt-limits',
    endpoints: oneEndpoint('iothub-2025', { after: 'mqtt' }).endpoints,
    devices: [{ id: 'meter-1', auth: 'sas', primaryKey: key }],
  });
  const sas = azureDevice.SharedAccessSignature.create(
    HUB,
    'meter-1',
    key,
    String(Math.floor(Date.now() / 1000) + 3600),
  ).toString();
  const connectPacket = mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'meter-1',
    clean: true,
    keepalive: 0,
    username: `${HUB}/meter-1/?api-version=2021-04-12`,
    password: Buffer.from(sas),
  });

  /** Opens TLS, writes `first`, then streams up to `streamMb` of zeros until the hub closes; resolves with bytes written. */
  const flood = (first: Buffer, streamMb: number) =>
    new Promise<number>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, ca: trust.g2 });
      const block = Buffer.alloc(256 * 1024);
      let sent = 0;
      let open = true;
      const pump = () => {
        while (open && sent < streamMb * MB) {
          sent += block.length;
          if (!s.write(block)) return void s.once('drain', pump);
        }
      };
      s.once('secureConnect', () => (s.write(first), pump()));
      s.on('data', () => {});
      s.on('error', () => {});
      s.once('close', () => ((open = false), resolve(sent)));
    });

  await t.test('a PUBLISH claiming 268,435,455 bytes after a good CONNECT closes at its header', async (t) => {
    const before = memory();
    const mark = th.events.length;
    const sent = flood(Buffer.concat([connectPacket, HUGE_PUBLISH_HEADER]), 64);
    const e = await nextSession(th, (e) => e.action === 'disconnect' && /PUBLISH of/.test(e.reason), mark);
    t.notOk(e.ok);
    t.match(e.reason, `PUBLISH of 268435455 bytes is over the ${PACKET_LIMIT}-byte packet limit`);
    const written = await sent;
    t.ok(written < 64 * MB, `the hub closed before the 64 MB flood was through (${(written / MB).toFixed(1)} MB sent)`);
    const after = memory();
    t.comment(`before: ${fmt(before)}; after the flood: ${fmt(after)}`);
    t.ok(after.buffers - before.buffers < 16, 'buffers came back');
    t.ok(after.heap - before.heap < 16, 'heap came back');
  });

  await t.test('a CONNECT claiming more than the pre-CONNECT limit closes at its header', async (t) => {
    const mark = th.events.length;
    await flood(Buffer.from([0x10, 0x80, 0x80, 0x40]), 4); // remaining length 1 MiB
    const e = await nextSession(th, (e) => e.action === 'disconnect' && /CONNECT of/.test(e.reason), mark);
    t.match(e.reason, `CONNECT of 1048576 bytes is over the ${CONNECT_LIMIT}-byte limit before a good CONNECT`);
  });

  await t.test('a 256 KiB message (IoT Hub limit) still goes through', async (t) => {
    const c = await mqtt.connectAsync({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: th.port,
      servername: HUB,
      ca: trust.g2,
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'meter-1',
      username: `${HUB}/meter-1/?api-version=2021-04-12`,
      password: sas,
    });
    await c.publishAsync('devices/meter-1/messages/events/', Buffer.alloc(MESSAGE_LIMIT, 0x61), { qos: 1 });
    await c.endAsync();
    const bodies = th.hub.runtime.devices.telemetry('meter-1').map((m) => m.body.length);
    t.same(bodies, [MESSAGE_LIMIT], 'recorded whole');
  });
});
