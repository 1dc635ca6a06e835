/**
 * DPS over AMQP 1.0 (issue 15): the Azure provisioning SDK's AMQP transport, unmodified, provisions
 * with a symmetric key (SASL PLAIN) and with an X.509 certificate (TLS client certificate, no SASL);
 * a wrong key is refused and the SDK sees an error. rhea used directly checks the wire: unknown
 * addresses and unattested registrations detach with AMQP's conditions, oversized and malformed
 * frames close only their own connection with a connection error. The hub: test/helpers/amqp-dps-server.ts.
 */
import t from 'tap';
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { inspect } from 'node:util';
import rhea, { type Connection, type EventContext } from 'rhea';
import provisioning from 'azure-iot-provisioning-device';
import provAmqp from 'azure-iot-provisioning-device-amqp';
import amqpBase from 'azure-iot-amqp-base';
import symmetricKey from 'azure-iot-security-symmetric-key';
import x509Security from 'azure-iot-security-x509';
import { randomKey } from '../helpers/devices.js';
import { portAgent } from '../helpers/port-agent.js';
import { sharedStore } from '../helpers/pki.js';
import { startAmqpDpsServer } from '../helpers/amqp-dps-server.js';
import { disconnectOnClose } from '../../src/after/amqp/dps/guard.js';

const ID_SCOPE = '0ne000A4D91';
const DPS_HOST = 'global.azure-devices-provisioning.net';

function scenario(groupKey: string) {
  return {
    name: 'amqp-dps',
    idScope: ID_SCOPE,
    endpoints: [
      { name: 'hub', kind: 'iothub', hostnames: ['*.azure-devices.net'], profile: 'iothub-2025', chain: 'g2' },
      {
        name: 'dps',
        kind: 'dps',
        hostnames: ['*.azure-devices-provisioning.net'],
        profile: 'dps',
        chain: 'g2',
        after: { mode: 'mqtt', retryAfterSeconds: 0 },
      },
    ],
    enrollments: [
      {
        groupId: 'factory',
        attestation: 'symmetric-key',
        primaryKey: groupKey,
        iotHubHostName: 'myhub.azure-devices.net',
      },
      { groupId: 'line-2', attestation: 'x509-ca', ca: 'device-root-ca' },
    ],
  };
}

/**
 * The SDK's AMQP base takes a CA only with X.509 credentials (sslOptions); a symmetric-key device
 * gets Node's default roots. This base adds the stand-in root to every connect, as a user who pins
 * a root would; everything else is the SDK's own.
 */
class AmqpBaseWithCa extends amqpBase.Amqp {
  constructor(private readonly ca: string) {
    super(true);
  }

  override connect(config: Parameters<amqpBase.Amqp['connect']>[0], done: Parameters<amqpBase.Amqp['connect']>[1]) {
    super.connect({ ...config, sslOptions: { ...config.sslOptions, ca: this.ca } } as typeof config, done);
  }
}

interface Provisioned {
  assignedHub: string;
  deviceId: string;
}

function provisionAmqp(
  port: number,
  ca: string,
  registrationId: string,
  cred: { key: string } | { cert: string; key: string },
): Promise<Provisioned> {
  const security =
    'cert' in cred
      ? new x509Security.X509Security(registrationId, cred)
      : new symmetricKey.SymmetricKeySecurityClient(registrationId, cred.key);
  const transport = new provAmqp.Amqp(new AmqpBaseWithCa(ca) as never);
  const client = provisioning.ProvisioningDeviceClient.create(
    `127.0.0.1:${port}`,
    ID_SCOPE,
    transport as never,
    security as never,
  );
  return client.register() as unknown as Promise<Provisioned>;
}

/**
 * Over WebSockets the SDK always dials port 443 (`wss://{host}:443/$iothub/websocket`); its
 * `webSocketAgent` transport option is how a user reaches another port: this agent dials ours.
 */
function provisionAmqpWs(wsPort: number, ca: string, registrationId: string, key: string): Promise<Provisioned> {
  const agent = portAgent(wsPort);
  const transport = new provAmqp.AmqpWs(new AmqpBaseWithCa(ca) as never);
  transport.setTransportOptions({ webSocketAgent: agent } as never);
  const security = new symmetricKey.SymmetricKeySecurityClient(registrationId, key);
  const client = provisioning.ProvisioningDeviceClient.create(
    '127.0.0.1',
    ID_SCOPE,
    transport as never,
    security as never,
  );
  return client.register() as unknown as Promise<Provisioned>;
}

/** A plain rhea client (no SASL) on the DPS server, with the device certificate it is given. */
function rheaClient(port: number, ca: string, x509?: { cert: string; key: string }): Connection {
  const container = rhea.create_container({ id: `wire-${crypto.randomUUID()}` });
  container.on('error', () => {}); // errors are asserted through the events below
  return container.connect({
    transport: 'tls',
    host: '127.0.0.1',
    port,
    ca,
    servername: DPS_HOST,
    reconnect: false,
    ...x509,
  });
}

function opened(c: Connection): Promise<Connection> {
  return new Promise((resolve, reject) => {
    c.once('connection_open', () => resolve(c));
    c.once('disconnected', (e: EventContext) => reject(new Error(`not connected: ${String(e.error)}`)));
  });
}

/** The condition the server closed the connection with. */
function closedWith(c: Connection): Promise<string | undefined> {
  const closed = new Promise<string | undefined>((resolve) => {
    c.once('connection_error', (e: EventContext) => resolve((e.connection.error as { condition?: string })?.condition));
    c.once('disconnected', () => resolve(undefined));
  });
  return within(closed, 'close from the server');
}

/** `p`, or a rejection naming `what` after `ms` (an upper bound, so a broken server fails fast). */
function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Attaches a receiver on `address` and resolves with the condition it was detached with. */
function detachCondition(c: Connection, address: string): Promise<string | undefined> {
  const r = c.open_receiver(address);
  const detached = new Promise<string | undefined>((resolve) => {
    r.on('receiver_error', () => {});
    r.once('receiver_close', (e: EventContext) => resolve((e.receiver!.error as { condition?: string })?.condition));
  });
  return within(detached, `detach of the link on '${address}'`);
}

/** Writes raw bytes under rhea and resolves with the condition of the close the server sends. */
function closeConditionAfter(c: Connection, bytes: Buffer): Promise<string | undefined> {
  const closed = closedWith(c);
  (c as unknown as { socket: { write(b: Buffer): void } }).socket.write(bytes);
  return closed;
}

function frame(size: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header.writeUInt8(2, 4); // data offset: 2 words
  return Buffer.concat([header, body]);
}

t.test('DPS over AMQP with the Azure provisioning SDK and rhea', async (t) => {
  const groupKey = randomKey();
  // The stand-in DigiCert Global Root G2, as a device trusts it (the served chain is g2).
  const g2 = (await (await sharedStore()).root('digicert-g2')).certPem;
  const trust = { g2 };
  const dps = await startAmqpDpsServer(t, scenario(groupKey));
  const deriveKey = (id: string) =>
    crypto.createHmac('sha256', Buffer.from(groupKey, 'base64')).update(id).digest('base64');

  await t.test('symmetric key: SASL PLAIN, register 202, status assigns', async (t) => {
    const from = dps.events.length;
    const r = await provisionAmqp(dps.port, trust.g2, 'amqp-sensor-1', { key: deriveKey('amqp-sensor-1') });
    t.equal(r.assignedHub, 'myhub.azure-devices.net');
    t.equal(r.deviceId, 'amqp-sensor-1');
    const connect = await dps.nextSession((e) => e.action === 'connect', from);
    t.ok(connect.ok, connect.reason);
    t.match(connect.reason, /attested by SASL PLAIN: group factory/);
    const reg = await dps.nextSession((e) => e.action === 'dps-register', from);
    t.equal(reg.protocol, 'amqp');
    t.equal(reg.status, 202);
    t.match(reg.reason, /\(retry-after 0\)$/, "the endpoint's retryAfterSeconds");
    const st = await dps.nextSession((e) => e.action === 'dps-status', from);
    t.equal(st.status, 200);
    t.equal(st.detail?.assignedHub, 'myhub.azure-devices.net');
    t.equal(dps.devices.get('amqp-sensor-1')?.spec.auth.type, 'sas', 'assigned with its derived key');
  });

  await t.test('X.509 CA-signed: no SASL, attested by the TLS client certificate', async (t) => {
    const from = dps.events.length;
    const cert = await (await sharedStore()).deviceCert('amqp-camera-1', { signer: 'ca' });
    const r = await provisionAmqp(dps.port, trust.g2, 'amqp-camera-1', { cert: cert.chainPem, key: cert.keyPem });
    t.equal(r.deviceId, 'amqp-camera-1');
    const connect = await dps.nextSession((e) => e.action === 'connect', from);
    t.match(connect.reason, /attested by its certificate: group line-2/);
    t.equal(dps.devices.get('amqp-camera-1')?.spec.auth.type, 'x509-ca');
  });

  await t.test('symmetric key over WebSockets (AmqpWs, subprotocol AMQPWSB10)', async (t) => {
    const from = dps.events.length;
    const r = await provisionAmqpWs(dps.wsPort, trust.g2, 'amqp-ws-sensor-1', deriveKey('amqp-ws-sensor-1'));
    t.equal(r.deviceId, 'amqp-ws-sensor-1');
    const st = await dps.nextSession((e) => e.action === 'dps-status', from);
    t.equal(st.protocol, 'amqp-ws');
    t.equal(st.status, 200);
  });

  await t.test('a wrong key: open, then close with amqp:unauthorized-access; the SDK fails', async (t) => {
    const from = dps.events.length;
    const err: unknown = await provisionAmqp(dps.port, trust.g2, 'amqp-sensor-2', { key: randomKey() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(inspect(err, { depth: 5 }), /amqp:unauthorized-access[\s\S]*401003[\s\S]*SAS signature does not match/);
    const connect = await dps.nextSession((e) => e.action === 'connect', from);
    t.equal(connect.ok, false);
    t.equal(connect.registrationId, 'amqp-sensor-2');
    t.equal(connect.errorCode, 401003);
    t.notOk(dps.devices.get('amqp-sensor-2'), 'nothing assigned');
  });

  await t.test('an unknown certificate: open, then close with amqp:unauthorized-access', async (t) => {
    const from = dps.events.length;
    const cert = await (await sharedStore()).deviceCert('amqp-rogue-1', { signer: 'self' });
    const err: unknown = await provisionAmqp(dps.port, trust.g2, 'amqp-rogue-1', {
      cert: cert.chainPem,
      key: cert.keyPem,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(inspect(err, { depth: 5 }), /amqp:unauthorized-access[\s\S]*401002/);
    const connect = await dps.nextSession((e) => e.action === 'connect', from);
    t.equal(connect.ok, false);
    t.equal(connect.outcome, 'HUBTLS_MTLS_UNAUTHORIZED');
    t.notOk(dps.devices.get('amqp-rogue-1'), 'nothing assigned');
  });

  await t.test('rhea on the wire: unauthorized, not-found, framing and decode errors', async (t) => {
    t.equal(
      await closedWith(rheaClient(dps.port, trust.g2)),
      'amqp:unauthorized-access',
      'no SASL and no certificate: open, then closed',
    );
    const cert = await (await sharedStore()).deviceCert('amqp-wire-1', { signer: 'ca' });
    const x509 = { cert: cert.chainPem, key: cert.keyPem };
    const bystander = await opened(rheaClient(dps.port, trust.g2, x509));
    const c = await opened(rheaClient(dps.port, trust.g2, x509));
    t.equal(await detachCondition(c, '$iothub/nothing-here'), 'amqp:not-found');
    t.equal(
      await detachCondition(c, `${ID_SCOPE}/registrations/someone-else`),
      'amqp:unauthorized-access',
      'a link on another registration than the certificate names',
    );
    const from = dps.events.length;
    t.equal(
      await closeConditionAfter(c, frame(1 << 20, Buffer.alloc(16))),
      'amqp:connection:framing-error',
      'a frame announcing 1 MB is refused before it is read',
    );
    const oversize = await dps.nextSession((e) => e.action === 'disconnect', from);
    t.match(oversize.reason, /frame of 1048576 bytes exceeds max-frame-size 65536/);

    const bad = await opened(rheaClient(dps.port, trust.g2, x509));
    const garbage = frame(16, Buffer.from('ffffffffffffffff', 'hex'));
    t.equal(await closeConditionAfter(bad, garbage), 'amqp:decode-error');
    const decode = await dps.nextSession((e) => e.action === 'disconnect' && e.conn !== oversize.conn, from);
    t.match(decode.reason, /Unrecognised typecode/);

    const big = await opened(rheaClient(dps.port, trust.g2, x509));
    const bigClosed = closedWith(big);
    big.open_sender(`${ID_SCOPE}/registrations/amqp-wire-1`).send({ body: Buffer.alloc(200_000, 0x7b) });
    t.equal(await bigClosed, 'amqp:link:message-size-exceeded', 'a 200 KB request in many frames');

    const http = tls.connect({ host: '127.0.0.1', port: dps.port, ca: trust.g2, servername: DPS_HOST });
    const answer: Buffer[] = [];
    http.on('data', (b: Buffer) => answer.push(b));
    http.once('secureConnect', () => http.write('GET / HTTP/1.1\r\nHost: dps\r\n\r\n'));
    await within(new Promise((resolve) => http.once('close', resolve)), 'close after an HTTP request');
    t.equal(
      Buffer.concat(answer).toString('latin1'),
      'AMQP\x00\x01\x00\x00',
      'HTTP gets the AMQP 1.0 header, then the end',
    );
    t.ok(
      await dps.nextSession((e) => e.action === 'disconnect' && /Invalid protocol header/.test(e.reason), from),
      'and a session event',
    );

    t.equal(await detachCondition(bystander, 'still/here'), 'amqp:not-found', 'the bystander connection still works');
    bystander.close();
  });
});

t.test('a stream destroyed under rhea (a drop) stops its heartbeat to the peer', async (t) => {
  // rhea hears of a dead socket only by 'end' or 'error'; a peer asking for heartbeats kept a timer
  // writing to the destroyed stream forever. `heartbeat_out` is rhea's timer (1.0.24).
  let server: { heartbeat_out?: unknown } | undefined;
  const streamClosed = new Promise<void>((resolve) => {
    const listener = net.createServer((s) => {
      const c = rhea.create_container();
      c.sasl_server_mechanisms.enable_anonymous();
      c.on('disconnected', () => {});
      const conn = (c.create_connection({}) as unknown as { accept(s: net.Socket): Connection }).accept(s);
      server = conn as unknown as { heartbeat_out?: unknown };
      disconnectOnClose(conn, s);
      c.on('connection_open', () => setImmediate(() => s.destroy()));
      s.once('close', () => resolve());
    });
    listener.listen(0, '127.0.0.1', () => {
      const client = rhea.create_container();
      client.on('error', () => {});
      client.on('disconnected', () => {});
      const port = (listener.address() as net.AddressInfo).port;
      client.connect({ host: '127.0.0.1', port, idle_time_out: 400, reconnect: false });
    });
    t.teardown(() => listener.close());
  });
  await within(streamClosed, 'server stream close');
  t.equal(server?.heartbeat_out, undefined, 'no heartbeat timer left on the dropped connection');
});
