/** A SAS device on the `mqtt` package, subscribed to what the cloud sends it (methods, desired patches, C2D). */
import mqtt from 'mqtt';
import azureDevice from 'azure-iot-device';

export const HUB_HOST = 'myhub.azure-devices.net';

export async function sasMqttDevice(
  port: number,
  ca: string,
  id: string,
  key: string,
  /** SNI, when the MQTT endpoint is not the one `*.azure-devices.net` reaches. */
  servername = HUB_HOST,
): Promise<mqtt.MqttClient> {
  const expiry = String(Math.floor(Date.now() / 1000) + 3600);
  const client = await mqtt.connectAsync({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    servername,
    ca,
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: id,
    username: `${HUB_HOST}/${id}/?api-version=2021-04-12`,
    password: azureDevice.SharedAccessSignature.create(HUB_HOST, id, key, expiry).toString(),
  });
  await client.subscribeAsync(
    ['$iothub/methods/POST/#', '$iothub/twin/PATCH/properties/desired/#', `devices/${id}/messages/devicebound/#`],
    { qos: 1 },
  );
  return client;
}

/** The device answers method `name` with status 200 and `{ [name]: <the request payload> }`. */
export function answerMethod(client: mqtt.MqttClient, name: string): void {
  client.on('message', (topic, payload) => {
    const rid = new RegExp(`^\\$iothub/methods/POST/${name}/\\?\\$rid=(.+)$`).exec(topic)?.[1];
    if (rid)
      client.publish(
        `$iothub/methods/res/200/?$rid=${rid}`,
        JSON.stringify({ [name]: JSON.parse(payload.toString()) }),
      );
  });
}

/** The next message on a topic matching `re`. */
export function nextMessage(client: mqtt.MqttClient, re: RegExp): Promise<{ topic: string; body: string }> {
  return new Promise((resolve) => {
    const on = (topic: string, payload: Buffer) => {
      if (!re.test(topic)) return;
      client.off('message', on);
      resolve({ topic, body: payload.toString() });
    };
    client.on('message', on);
  });
}
