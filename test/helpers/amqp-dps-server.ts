/**
 * A real hub for the DPS-over-AMQP tests: the scenario's `dps` endpoint runs `after: amqp`
 * (retry-after 0) on one port, and a copy of it, `dps-ws`, runs `after: https` on another, where the
 * SDK's AmqpWs upgrades to a WebSocket with subprotocol AMQPWSB10. Both on free ports.
 */
import type { Test } from 'tap';
import type { DeviceRegistry } from '../../src/core/registry.js';
import type { HubEvent, SessionEvent } from '../../src/events/types.js';
import { startTestHub } from './hub.js';
import { nextSession } from './devices.js';

export interface AmqpDpsServer {
  /** AMQP over TLS. */
  port: number;
  /** AMQP over WebSockets over TLS, at /$iothub/websocket. */
  wsPort: number;
  devices: DeviceRegistry;
  events: HubEvent[];
  /** The first `session` event (seen since index `from`, or future) matching `pred`. */
  nextSession(pred: (e: SessionEvent) => boolean, from?: number, timeoutMs?: number): Promise<SessionEvent>;
}

type Endpoint = Record<string, unknown> & { name: string; kind: string };

export async function startAmqpDpsServer(
  t: Test,
  scenario: { endpoints: Endpoint[] } & Record<string, unknown>,
): Promise<AmqpDpsServer> {
  const dps = scenario.endpoints.find((e) => e.kind === 'dps')!;
  const endpoints = [
    // The SDK dials 127.0.0.1 (no SNI): DPS is alone on its listener, the rest on another.
    ...scenario.endpoints.filter((e) => e !== dps).map((e) => ({ ...e, port: 8444 })),
    { ...dps, after: { mode: 'amqp', retryAfterSeconds: 0 } },
    { ...dps, name: 'dps-ws', port: 8443, default: false, after: { mode: 'https', retryAfterSeconds: 0 } },
  ];
  const th = await startTestHub(t, { ...scenario, endpoints }, { ephemeral: true });
  return {
    port: th.hub.port(dps.name),
    wsPort: th.hub.port('dps-ws'),
    devices: th.hub.runtime.devices,
    events: th.events,
    nextSession: (pred, from = 0, timeoutMs = 20_000) => nextSession(th, pred, from, timeoutMs),
  };
}
