/**
 * The Azure IoT device SDK for Node, configured only as a user would: a connection string or a DPS
 * id scope, the exported root as `ca`, a certificate and key for X.509. Casts live here: the SDK
 * packages ship separate copies of azure-iot-common whose private fields make TypeScript refuse
 * to mix them, though they interoperate at run time.
 */
import type https from 'node:https';
import iothub from 'azure-iothub';
import amqpBaseModule from 'azure-iothub/dist/common-amqp/amqp.js';
import azureDevice from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import deviceHttp from 'azure-iot-device-http';
import deviceAmqp from 'azure-iot-device-amqp';
import provisioning from 'azure-iot-provisioning-device';
import provMqtt from 'azure-iot-provisioning-device-mqtt';
import provHttp from 'azure-iot-provisioning-device-http';
import mqttBase from 'azure-iot-mqtt-base';
import httpBase from 'azure-iot-http-base';
import symmetricKey from 'azure-iot-security-symmetric-key';
import x509Security from 'azure-iot-security-x509';
import { portAgent } from './port-agent.js';

export const { Client, Message, ModuleClient } = azureDevice;
const AmqpBase = amqpBaseModule.Amqp;
/** The package's typings declare Http as a namespace; at run time it is the transport class. */
const HttpTransport = deviceHttp.Http as unknown as new (auth: unknown) => { setOptions(o: unknown): void };
export type DeviceClient = InstanceType<typeof azureDevice.Client>;
export type ModuleClientType = InstanceType<typeof azureDevice.ModuleClient>;

export interface X509Pair {
  cert: string;
  key: string;
}

export interface ProvisionOptions {
  /** host[:port] of DPS (the SDK's provisioningHost). */
  host: string;
  idScope: string;
  registrationId: string;
  ca: string;
  symmetricKey?: string;
  x509?: X509Pair;
  transport?: 'mqtt' | 'https' | 'mqtt-ws';
  /**
   * HTTPS: the SDK's `http.agent` option; MQTT over WebSockets: its `mqtt.webSocketAgent` (the proxy
   * option). How a transport that always dials port 443 reaches another port.
   */
  agent?: https.Agent;
}

function provisioningTransport(o: ProvisionOptions): unknown {
  if (o.transport === 'https') {
    const base = new httpBase.Http();
    base.setOptions({ ca: o.ca, ...(o.agent ? { http: { agent: o.agent } } : {}) } as never);
    return new provHttp.Http(base as never);
  }
  // The DPS MQTT transport takes no CA through setTransportOptions: give it an MqttBase that has one.
  const base = new mqttBase.MqttBase();
  base.setOptions({ ca: o.ca, ...(o.agent ? { mqtt: { webSocketAgent: o.agent } } : {}) } as never);
  return o.transport === 'mqtt-ws' ? new provMqtt.MqttWs(base as never) : new provMqtt.Mqtt(base as never);
}

/** Registers through DPS; resolves with the SDK's registration result. */
export async function provision(
  o: ProvisionOptions,
): Promise<{ assignedHub: string; deviceId: string; status?: string }> {
  const security = o.symmetricKey
    ? new symmetricKey.SymmetricKeySecurityClient(o.registrationId, o.symmetricKey)
    : new x509Security.X509Security(o.registrationId, o.x509!);
  const client = provisioning.ProvisioningDeviceClient.create(
    o.host,
    o.idScope,
    provisioningTransport(o) as never,
    security as never,
  );
  return (await client.register()) as unknown as { assignedHub: string; deviceId: string; status?: string };
}

/** The device SDK's transports, by the name hubtls gives them in session events (https is built apart). */
const DEVICE_TRANSPORTS = {
  mqtt: deviceMqtt.Mqtt,
  'mqtt-ws': deviceMqtt.MqttWs,
  amqp: deviceAmqp.Amqp,
  'amqp-ws': deviceAmqp.AmqpWs,
  https: undefined,
} as const;

export interface HubClientOptions {
  connectionString: string;
  ca: string;
  x509?: X509Pair;
  transport?: keyof typeof DEVICE_TRANSPORTS;
  /** HTTPS: `http.agent`; over WebSockets: `mqtt.webSocketAgent` / `amqp.webSocketAgent` (the SDK dials port 443 otherwise). */
  agent?: https.Agent;
}

/**
 * A device client with its options applied. Client.setOptions is asynchronous (it first tries `ca`
 * as a file name); with the HTTP transport its promise never settles (azure-iot-device-http 1.14
 * calls `done` only for receiver options), so there the options go to the transport as it is built.
 */
export async function hubClient(o: HubClientOptions): Promise<DeviceClient> {
  const options = { ca: o.ca, ...(o.x509 ?? {}), ...(o.agent ? { http: { agent: o.agent } } : {}) };
  if (o.transport === 'https') {
    const HttpWithOptions = class extends HttpTransport {
      constructor(auth: unknown) {
        super(auth);
        this.setOptions(options);
      }
    };
    return Client.fromConnectionString(o.connectionString, HttpWithOptions as never);
  }
  const client = Client.fromConnectionString(o.connectionString, DEVICE_TRANSPORTS[o.transport ?? 'mqtt'] as never);
  const ws = o.transport === 'mqtt-ws' ? 'mqtt' : o.transport === 'amqp-ws' ? 'amqp' : undefined;
  await client.setOptions({ ...options, ...(ws && o.agent ? { [ws]: { webSocketAgent: o.agent } } : {}) } as never);
  return client;
}

/**
 * The service SDK (`azure-iothub`) from a connection string, pointed at 127.0.0.1:port (its AMQP
 * transport at localhost:amqpPort, default the same port, over WebSockets with `websocket`: see
 * serviceAmqpClient). Registry and Client build their REST client in the constructor with a fresh keep-alive agent and offer no
 * public option for a CA or an agent, so the test sets the REST client's options (`ca`, `http.agent`:
 * the same options the SDK's transports take) on that internal client. SNI and Host stay the hub name.
 */
export function serviceSdk(
  connectionString: string,
  o: { ca: string; port: number; amqpPort?: number; websocket?: boolean },
): { registry: iothub.Registry; client: iothub.Client } {
  const agent = portAgent(o.port);
  const registry = iothub.Registry.fromConnectionString(connectionString);
  const client = serviceAmqpClient(connectionString, { ...o, port: o.amqpPort ?? o.port });
  for (const sdk of [registry, client])
    (sdk as unknown as { _restApiClient: { setOptions(x: unknown): void } })._restApiClient.setOptions({
      ca: o.ca,
      http: { agent },
    });
  return { registry, client };
}

/** A module client over MQTT (or AMQP) from a module connection string (`…;DeviceId=d;ModuleId=m;SharedAccessKey=…`). */
export async function moduleClient(connectionString: string, ca: string, amqp = false): Promise<ModuleClientType> {
  const client = ModuleClient.fromConnectionString(
    connectionString,
    (amqp ? deviceAmqp.Amqp : deviceMqtt.Mqtt) as never,
  );
  await client.setOptions({ ca } as never);
  return client;
}

type AmqpBaseConnect = (config: Record<string, unknown>, done: (err?: Error) => void) => void;

/**
 * The service SDK's `Client` on its own AMQP transport (`azure-iothub`'s `Amqp`), pointed at
 * hubtls: Azure is always `{HostName}:5671` behind a public root, so the transport has no option for
 * another port or a CA. Its AMQP layer (the SDK's own `common-amqp` Amqp, which the transport takes
 * as its second constructor argument) gets the URI and the exported root at connect; the SAS token
 * stays the one the connection string makes (sr = the hub name). SNI is `localhost`. `websocket`:
 * the URI is the one the SDK's `AmqpWs` builds (`wss://…/$iothub/websocket`, subprotocol AMQPWSB10),
 * at the test port; `AmqpWs` itself differs from `Amqp` only in that URI and takes no AMQP layer.
 */
export function serviceAmqpClient(
  connectionString: string,
  o: { ca: string; port: number; websocket?: boolean },
): iothub.Client {
  const base = new AmqpBase(true) as unknown as { connect: AmqpBaseConnect };
  const connect = base.connect.bind(base);
  base.connect = (config, done) =>
    connect(
      {
        ...config,
        uri: o.websocket ? `wss://localhost:${o.port}/$iothub/websocket` : `amqps://localhost:${o.port}`,
        sslOptions: { ca: o.ca },
      },
      done,
    );
  function HubtlsAmqp(config: unknown) {
    return new iothub.Amqp(config as never, base as never);
  }
  return iothub.Client.fromConnectionString(connectionString, HubtlsAmqp as never);
}

/** The SDK's 'message' events (cloud-to-device) as a queue a test awaits one by one; `M` is the shape it reads. */
export function inbox<M>(client: DeviceClient): () => Promise<M> {
  const got: M[] = [];
  const waiting: Array<(m: M) => void> = [];
  client.on('message', (m: M) => {
    const w = waiting.shift();
    if (w) w(m);
    else got.push(m);
  });
  return () => {
    const m = got.shift();
    return m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve));
  };
}
