/**
 * Issue 15, AMQP on the wire and the service side. rhea used directly (not an Azure SDK) checks
 * what IoT Hub answers: CBS put-token 200 / 401 with status-description on the reply link, a link
 * on an unknown address detached with amqp:not-found, a device link before any token with
 * amqp:unauthorized-access, a link closed when its token expires by the scenario clock (and kept
 * when the token was renewed first). Raw bytes over TLS: a malformed frame, an oversized frame and a
 * wrong protocol header close only their own connection, with AMQP's error. The service SDK
 * (`azure-iothub` Client over AMQP) gets IoT Hub's errors for an unknown device, a message over
 * 64 KB and a bad policy key.
 */
import t from 'tap';
import tls from 'node:tls';
import rhea, { type Connection, type EventContext, type Message } from 'rhea';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey, type Trust } from '../helpers/devices.js';
import { Message as SdkMessage, serviceSdk } from '../helpers/azure-sdk.js';
import { signSas } from '../../src/core/sas.js';

const HUB = 'myhub.azure-devices.net';
const OWNER_KEY = randomKey();
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;
const KEY = randomKey();
const ALL = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];

function scenario() {
  return {
    name: 'amqp-service',
    idScope: '0ne00000A15',
    policies: [{ name: 'iothubowner', primaryKey: OWNER_KEY, secondaryKey: randomKey(), rights: ALL }],
    endpoints: [
      { name: 'amqp', kind: 'iothub', hostnames: ['localhost'], profile: 'iothub-2025', chain: 'g2', after: 'amqp' },
      {
        name: 'dps',
        kind: 'dps',
        hostnames: ['*.azure-devices-provisioning.net'],
        profile: 'dps',
        chain: 'g2',
        after: 'amqp',
      },
    ],
    devices: [
      { id: 'wire-1', auth: 'sas', primaryKey: KEY },
      { id: 'wire-2', auth: 'sas', primaryKey: KEY },
      { id: 'wire-3', auth: 'sas', primaryKey: KEY },
    ],
  };
}

interface Peer {
  conn: Connection;
  /** The close error the hub sent on the connection, once it arrives. */
  closed: Promise<{ condition?: string; description?: string } | undefined>;
}

/** A plain rhea client over TLS (no SASL, as the Azure SDKs), with every error caught. */
function connect(th: TestHub, trust: Trust, servername = 'localhost'): Promise<Peer> {
  const container = rhea.create_container();
  container.on('error', () => {});
  const conn = container.connect({
    host: '127.0.0.1',
    port: th.port,
    transport: 'tls',
    servername,
    ca: trust.g2,
    reconnect: false,
  } as never);
  for (const e of ['connection_error', 'sender_error', 'receiver_error', 'disconnected', 'error', 'protocol_error'])
    conn.on(e as never, () => {});
  const closed = new Promise<Peer['closed'] extends Promise<infer E> ? E : never>((resolve) =>
    conn.on('connection_close', (c: EventContext) => resolve(c.connection.error as never)),
  );
  return new Promise((resolve, reject) => {
    conn.once('connection_open', () => resolve({ conn, closed }));
    conn.once('disconnected', (c: EventContext) => reject(c.error ?? new Error('disconnected before open')));
  });
}

const deviceToken = (id: string, expirySeconds: number) =>
  signSas(`${HUB}/devices/${id}`, KEY, Math.floor(Date.now() / 1000) + expirySeconds);

/** put-token on $cbs; resolves with the reply's application properties. */
async function putToken(conn: Connection, audience: string, token: string): Promise<Record<string, unknown>> {
  const replies = conn.open_receiver({ source: { address: '$cbs' } });
  const sender = conn.open_sender({ target: { address: '$cbs' } });
  await new Promise((resolve) => sender.once('sendable', resolve));
  const id = rhea.generate_uuid();
  const answer = new Promise<Record<string, unknown>>((resolve) =>
    replies.on('message', (c: EventContext) => {
      if (c.message?.correlation_id === id) resolve(c.message.application_properties as Record<string, unknown>);
    }),
  );
  sender.send({
    message_id: id,
    reply_to: 'cbs',
    application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
    body: token,
  } as Message);
  return answer;
}

/** Attaches a sending link; resolves with the link once attached, or with the error it was detached with. */
function attachSender(conn: Connection, address: string) {
  const link = conn.open_sender({ target: { address } });
  const error = new Promise<{ condition?: string; description?: string }>((resolve) =>
    link.on('sender_close', (c: EventContext) => resolve((c.sender?.error ?? {}) as never)),
  );
  const opened = new Promise<void>((resolve) => link.on('sender_open', () => resolve()));
  return { link, error, opened };
}

/** Raw bytes over TLS: what the hub answers, until it ends the connection. */
function raw(th: TestHub, trust: Trust, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: 'localhost', ca: trust.g2 }, () =>
      s.write(bytes),
    );
    const got: Buffer[] = [];
    s.on('data', (b: Buffer) => got.push(b));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

const HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
/** A frame header (data offset 2, type AMQP, channel 0) claiming `size` bytes, then `body`. */
function frame(size: number, body: number[]): Buffer {
  const head = Buffer.from([0, 0, 0, 0, 2, 0, 0, 0]);
  head.writeUInt32BE(size);
  return Buffer.concat([head, Buffer.from(body)]);
}

t.test('AMQP on the wire, and the service side', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, scenario())]);

  await t.test('CBS: 401 with a status-description for a bad token, 200 for a good one', async (t) => {
    const { conn } = await connect(th, trust);
    t.teardown(() => conn.close());
    const bad = await putToken(
      conn,
      `${HUB}/devices/wire-1`,
      signSas(`${HUB}/devices/wire-1`, randomKey(), 4_000_000_000),
    );
    t.equal(bad['status-code'], 401);
    t.match(bad['status-description'], /signature does not match/);
    const e = await nextSession(th, (x) => x.action === 'put-token' && !x.ok);
    t.equal(e.outcome, 'HUBTLS_DEVICE_UNAUTHORIZED');
    const good = await putToken(conn, `${HUB}/devices/wire-1`, deviceToken('wire-1', 3600));
    t.equal(good['status-code'], 200);
  });

  await t.test(
    'unknown address: amqp:not-found; a device link before any token: amqp:unauthorized-access',
    async (t) => {
      const { conn } = await connect(th, trust);
      t.teardown(() => conn.close());
      const unknown = attachSender(conn, '/devices/wire-1/nowhere');
      t.equal((await unknown.error).condition, 'amqp:not-found');
      const early = attachSender(conn, '/devices/wire-2/messages/events');
      const err = await early.error;
      t.equal(err.condition, 'amqp:unauthorized-access');
      t.match(err.description, /no put-token on \$cbs covers device 'wire-2'/);
      const refused = await nextSession(
        th,
        (x) => x.action === 'attach' && !x.ok && x.detail?.condition === 'amqp:unauthorized-access',
      );
      t.equal(refused.errorCode, 401002);
    },
  );

  await t.test('token expiry by the scenario clock closes its links; a renewal keeps them', async (t) => {
    const { conn } = await connect(th, trust);
    t.teardown(() => conn.close());
    t.equal((await putToken(conn, `${HUB}/devices/wire-2`, deviceToken('wire-2', 600)))['status-code'], 200);
    const link = attachSender(conn, '/devices/wire-2/messages/events');
    await link.opened;
    t.equal(
      (await putToken(conn, `${HUB}/devices/wire-2`, deviceToken('wire-2', 7200)))['status-code'],
      200,
      'renewed',
    );
    await th.hub.runtime.setClock(new Date(Date.now() + 3600_000));
    const sent = link.link.send({ body: 'still here' } as Message);
    await new Promise((resolve) => link.link.once('accepted', resolve));
    t.ok(sent, 'after the first token expired, the renewed one keeps the link');
    await th.hub.runtime.setClock(new Date(Date.now() + 3 * 3600_000));
    const err = await link.error;
    t.equal(err.condition, 'amqp:unauthorized-access');
    t.match(err.description, /expired/);
    await th.hub.runtime.setClock(new Date());
  });

  await t.test('malformed and oversized frames close only their own connection', async (t) => {
    const { conn } = await connect(th, trust);
    t.teardown(() => conn.close());
    await putToken(conn, `${HUB}/devices/wire-1`, deviceToken('wire-1', 3600));
    const telemetry = attachSender(conn, '/devices/wire-1/messages/events');
    await telemetry.opened;

    const garbage = await raw(th, trust, Buffer.concat([HEADER, frame(12, [0xff, 0xff, 0xff, 0xff])]));
    t.equal(garbage.subarray(0, 8).toString('hex'), HEADER.toString('hex'), 'the hub answered with its AMQP header');
    t.match(garbage.toString('latin1'), /amqp:decode-error/, 'and closed with amqp:decode-error');
    const oversized = await raw(th, trust, Buffer.concat([HEADER, frame(1_000_000, [])]));
    t.match(oversized.toString('latin1'), /amqp:connection:framing-error/);
    t.match(oversized.toString('latin1'), /over the max-frame-size of 65536 bytes/);
    const notAmqp = await raw(th, trust, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    t.equal(
      notAmqp.toString('hex'),
      HEADER.toString('hex'),
      'a wrong protocol header gets the AMQP header, then the close',
    );
    const errors = th.events.filter((e) => e.type === 'session' && e.action === 'protocol-error');
    t.equal(errors.length, 3, 'each is a protocol-error session event');

    telemetry.link.send({ body: 'the other connection keeps working' } as Message);
    await new Promise((resolve) => telemetry.link.once('accepted', resolve));
    t.ok(th.hub.runtime.devices.telemetry('wire-1').some((m) => m.body === 'the other connection keeps working'));
  });

  await t.test('C2D held by a link that closes goes back to the queue, delivery count + 1', async (t) => {
    const { conn } = await connect(th, trust);
    t.teardown(() => conn.close());
    await putToken(conn, `${HUB}/devices/wire-2`, deviceToken('wire-2', 3600));
    th.hub.runtime.devices.sendC2D('wire-2', 'held', { '$.mid': 'held-1' });
    const receiver = conn.open_receiver({
      source: { address: '/devices/wire-2/messages/devicebound' },
      autoaccept: false,
    });
    const got = await new Promise<Message>((resolve) =>
      receiver.once('message', (c: EventContext) => resolve(c.message!)),
    );
    t.equal(got.message_id, 'held-1');
    t.match(th.hub.runtime.devices.c2d.list('wire-2'), [{ messageId: 'held-1', locked: true, deliveryCount: 0 }]);
    receiver.close();
    await nextSession(th, (e) => e.action === 'c2d-abandon' && e.detail?.messageId === 'held-1');
    t.match(th.hub.runtime.devices.c2d.list('wire-2'), [{ messageId: 'held-1', locked: false, deliveryCount: 1 }]);
  });

  await t.test('feedback link: a released batch comes again, an accepted one is taken', async (t) => {
    const { conn } = await connect(th, trust);
    t.teardown(() => conn.close());
    const policyToken = signSas(HUB, OWNER_KEY, Math.floor(Date.now() / 1000) + 3600, 'iothubowner');
    t.equal((await putToken(conn, HUB, policyToken))['status-code'], 200);
    const devices = th.hub.runtime.devices;
    devices.sendC2D('wire-1', 'ack me', { '$.mid': 'fb-1', 'iothub-ack': 'positive' });
    const locked = devices.c2d.receive('wire-1');
    t.equal(locked?.messageId, 'fb-1');
    const receiver = conn.open_receiver({ source: { address: '/messages/serviceBound/feedback' }, autoaccept: false });
    const got: EventContext[] = [];
    const waiting: Array<(c: EventContext) => void> = [];
    receiver.on('message', (c: EventContext) => (waiting.length ? waiting.shift()!(c) : got.push(c)));
    const next = () =>
      new Promise<EventContext>((resolve) => (got.length ? resolve(got.shift()!) : waiting.push(resolve)));
    const body = (c: EventContext) => JSON.parse((c.message?.body as { content: Buffer }).content.toString());
    t.ok(devices.c2d.complete('wire-1', locked!.lockToken).ok, 'completed: a Success record');
    const first = await next();
    t.equal(first.message?.content_type, 'application/vnd.microsoft.iothub.feedback.json');
    t.match(body(first), [{ originalMessageId: 'fb-1', statusCode: 'Success', deviceId: 'wire-1' }]);
    first.delivery?.release();
    const again = await next();
    t.match(body(again), [{ originalMessageId: 'fb-1' }], 'released: sent again');
    again.delivery?.accept();
    await nextSession(th, (e) => e.action === 'c2d-feedback' && /accepted/.test(e.reason));
    t.equal(devices.c2d.feedback.peek().length, 0);
  });

  await t.test('in-band faults over AMQP: a link kill, then throttling closes and refuses', async (t) => {
    const { conn, closed } = await connect(th, trust);
    t.teardown(() => conn.close());
    await putToken(conn, `${HUB}/devices/wire-3`, deviceToken('wire-3', 3600));
    const fault = (type: string, more: Record<string, string> = {}) =>
      ({
        body: 'fault',
        application_properties: { AzIoTHub_FaultOperationType: type, AzIoTHub_FaultOperationDelayInSecs: '0', ...more },
      }) as Message;
    const d2c = attachSender(conn, '/devices/wire-3/messages/events');
    await d2c.opened;
    d2c.link.send(fault('KillAmqpD2CLink'));
    t.equal((await d2c.error).condition, 'amqp:link:detach-forced', 'KillAmqpD2CLink detached the telemetry link');
    const again = attachSender(conn, '/devices/wire-3/messages/events');
    await again.opened;
    again.link.send(fault('InvokeThrottling', { AzIoTHub_FaultOperationDurationInSecs: '30' }));
    t.equal((await closed)?.condition, 'com.microsoft:device-container-throttled', 'throttling closes the connection');
    const next = await connect(th, trust);
    t.teardown(() => next.conn.close());
    const refused = await putToken(next.conn, `${HUB}/devices/wire-3`, deviceToken('wire-3', 3600));
    t.equal(refused['status-code'], 429, 'and refuses the device while it lasts');
  });

  await t.test('a client that drops the connection right after the handshake: inferred chain rejection', async (t) => {
    const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: 'localhost', ca: trust.g2 }, () =>
      s.destroy(),
    );
    const e = await nextSession(th, (x) => x.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN');
    t.equal(e.protocol, 'amqp');
    t.equal(e.detail?.inferred, true);
  });

  await t.test('the service SDK over AMQP: unknown device, over 64 KB, bad policy key', async (t) => {
    const { client } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
    t.teardown(() => client.close());
    await t.rejects(client.send('nobody', new SdkMessage('hi') as never), { name: 'DeviceNotFoundError' });
    await t.rejects(client.send('wire-1', new SdkMessage(Buffer.alloc(70_000)) as never), {
      name: 'MessageTooLargeError',
    });
    await client.send('wire-1', new SdkMessage('fits') as never);
    t.equal(th.hub.runtime.devices.c2d.list('wire-1').at(-1)?.body.toString(), 'fits');
    while (th.hub.runtime.devices.c2d.depth('wire-1') < 50)
      await client.send('wire-1', new SdkMessage('more') as never);
    await t.rejects(client.send('wire-1', new SdkMessage('one too many') as never), {
      name: 'DeviceMaximumQueueDepthExceededError',
    });
    const wrong = serviceSdk(OWNER.replace(OWNER_KEY, randomKey()), { ca: trust.g2, port: th.port }).client;
    await t.rejects(wrong.open(), {
      message: /Could not connect/,
      amqpError: { name: 'UnauthorizedError', message: /signature does not match .* policy 'iothubowner'/ },
    });
    await wrong.close().catch(() => {});
  });
});
