// The Azure IoT device SDK for Node, as in Microsoft's "send telemetry" sample, with one change a
// field device would have too: the root it trusts (HUBTLS_CA). It dials the hub's real host name,
// which the compose network resolves to hubtls. It first checks the TLS layer on its own (what
// hubtls emulates), then runs the SDK: connect and send one message.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import deviceSdk from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';

const { Client, Message } = deviceSdk; // CommonJS packages: named imports are not detected
const { Mqtt } = mqttTransport;

const connectionString = process.env.DEVICE_CONNECTION_STRING;
const caFile = process.env.HUBTLS_CA;
if (!connectionString || !caFile) {
  console.error('set DEVICE_CONNECTION_STRING and HUBTLS_CA');
  process.exit(2);
}
const host = /HostName=([^;]+)/.exec(connectionString)[1];
const ca = readFileSync(caFile, 'utf8');

/** TLS only: the handshake a device's TLS stack does, verified against the exported root. */
function checkTls() {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port: 8883, servername: host, ca, minVersion: 'TLSv1.2' }, () => {
      console.log(`TLS ok: ${socket.getProtocol()} ${socket.getCipher().standardName}, chain verified against ${caFile}`);
      socket.end();
      resolve(true);
    });
    socket.on('error', (e) => {
      console.log(`TLS failed: ${e.message}`);
      resolve(false);
    });
  });
}

/** The SDK sample: open, send one telemetry message, close. */
async function sendTelemetry() {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  client.setOptions({ ca });
  try {
    await client.open();
    await client.sendEvent(new Message(JSON.stringify({ temperature: 21.5, from: 'hubtls example device' })));
    console.log('telemetry sent');
    return true;
  } catch (e) {
    console.log(`SDK: ${e.message} (hubtls's session event for this device says why it was refused)`);
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

const tlsOk = await checkTls();
if (tlsOk) await Promise.race([sendTelemetry(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
process.exit(tlsOk ? 0 : 1);
