/**
 * After TLS: hands an established connection to its endpoint's after-TLS mode (MQTT, HTTPS,
 * forward, …) with the hub parts a session may use. A mode that throws ends the session, never the hub.
 */
import type { EventBus } from '../events/bus.js';
import type { DeviceRegistry } from '../core/registry.js';
import type { ScenarioClock } from '../scenario/clock.js';
import { afterMode } from '../after/registry.js';
import type { EndpointTable } from '../runtime/endpoints.js';
import type { SessionStart } from './connection.js';

export interface SessionParts {
  bus: EventBus;
  clock: ScenarioClock;
  devices: DeviceRegistry;
  endpoints: EndpointTable;
}

export function sessionStarter(p: SessionParts): (s: SessionStart) => void {
  const now = () => p.clock.now();
  return (s) => {
    const endpoint = p.endpoints.get(s.endpoint);
    try {
      afterMode(endpoint.after).start({ ...s, endpoint, bus: p.bus, now, devices: p.devices });
    } catch (e) {
      const msg = `after-TLS mode ${endpoint.after} failed: ${(e as Error).message}`;
      p.bus.publish({ type: 'notice', level: 'error', what: 'after-tls', msg, conn: s.conn });
      s.established.stream.destroy();
    }
  };
}
