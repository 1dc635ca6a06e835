/**
 * A second instance of the case's device: one MQTT 3.1.1 connection with the device's identity
 * (SAS signed with its key, or its X.509 certificate), made by hubtls itself over TLS with mqtt-packet, so the hub closes the
 * device's own connection as IoT Hub closes the older of two (400027). It only connects and stays.
 */
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { signSas } from '../core/sas.js';

export interface TwinOptions {
  port: number;
  hubHost: string;
  deviceId: string;
  key: string;
  ca: string;
  x509?: { cert: string; key: string };
}

/** Connects; resolves with a close function once the CONNECT is written (the hub's CONNACK is not awaited). */
export function connectTwin(o: TwinOptions): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: o.port, servername: o.hubHost, ca: o.ca, ...o.x509 }, () => {
      const expiry = Math.floor(Date.now() / 1000) + 3600;
      const connect = mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: false,
        keepalive: 0,
        clientId: o.deviceId,
        username: `${o.hubHost}/${o.deviceId}/?api-version=2021-04-12`,
        ...(o.x509 ? {} : { password: Buffer.from(signSas(`${o.hubHost}/devices/${o.deviceId}`, o.key, expiry)) }),
      });
      socket.write(connect, () => resolve(() => socket.destroy()));
    });
    socket.on('error', reject);
    socket.resume();
  });
}
