/**
 * What serving needs from the runtime, narrowed: each connection gets functions and snapshots,
 * not the runtime parts themselves.
 */
import type { EventBus } from '../events/bus.js';
import type { ContextCache } from '../tls/contexts.js';
import type { Engine } from '../tls/engines/types.js';
import type { EngineName } from '../tls/policy/types.js';
import type { RuntimeParts } from '../runtime/index.js';
import type { ListenerDeps } from './listener.js';
import type { ConnectionLimits } from './limits.js';
import { sessionStarter } from './sessions.js';
import { HelloCache } from '../tls/hello-cache.js';
import { DecisionCache } from '../tls/policy/decision-cache.js';

export interface ServeSettings {
  bus: EventBus;
  contexts: ContextCache;
  engines: Partial<Record<EngineName, Engine>> & { openssl: Engine };
  limits: ConnectionLimits;
  handshakeTimeoutMs: number;
  /** See StartOptions.precheck. */
  precheck: boolean;
}

export function listenerDeps(rt: RuntimeParts, s: ServeSettings): ListenerDeps {
  const { endpoints, connections, faults } = rt;
  return {
    ...s,
    hellos: new HelloCache(),
    decisions: new DecisionCache(),
    policyState: (names) => endpoints.policyState(names),
    endpoint: (name) => endpoints.get(name),
    material: (name) => endpoints.drawMaterial(name),
    admit: (socket) => s.limits.admit(socket),
    admitToEndpoint: (name) =>
      s.limits.admitToEndpoint(name, endpoints.get(name).maxConnections, connections.open(name)),
    track: (endpoint, socket) => connections.track(endpoint, socket),
    trackSession: (socket, stream) => connections.session(socket, stream),
    faultsFor: (endpoint, side) => faults.forConnection(endpoint, side),
    startSession: sessionStarter({ bus: s.bus, clock: rt.clock, devices: rt.devices, endpoints }),
  };
}
