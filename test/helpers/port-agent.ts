/**
 * What a port mapping does for a client that always dials 443 (the Azure SDKs over WebSockets build
 * `wss://{host}:443/$iothub/websocket`): an agent whose every connection goes to the test port. The
 * SDKs take it as their WebSocket proxy option (`mqtt.webSocketAgent`, `amqp.webSocketAgent`,
 * provisioning's `webSocketAgent`); SNI and the Host header stay what the SDK set.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export function portAgent(port: number): https.Agent {
  const agent = new https.Agent({ keepAlive: false });
  (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => Duplex }).createConnection = (o) =>
    tls.connect({ ...o, host: '127.0.0.1', port });
  return agent;
}
