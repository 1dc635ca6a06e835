/**
 * What serving needs from the runtime, narrowed: each connection gets functions and snapshots,
 * not the runtime parts themselves.
 */
import type { EventBus } from '../events/bus.js';
import { ContextCache } from '../tls/contexts.js';
import type { Engine } from '../tls/engines/types.js';
import type { EngineName } from '../tls/policy/types.js';
import type { RuntimeParts } from '../runtime/index.js';
import type { ListenerDeps } from './listener.js';
import { ConnectionLimits } from './limits.js';
import { sessionStarter } from './sessions.js';
import { HelloCache } from '../tls/hello-cache.js';
import { DecisionCache } from '../tls/policy/decision-cache.js';
import { opensslEngine } from '../tls/engines/openssl.js';
import { miniEngine } from '../tls/engines/mini/index.js';
import type { CompiledScenario } from '../scenario/compile.js';

export interface ServeSettings {
  bus: EventBus;
  contexts: ContextCache;
  engines: Partial<Record<EngineName, Engine>> & { openssl: Engine };
  limits: ConnectionLimits;
  handshakeTimeoutMs: number;
  /** See StartOptions.precheck. */
  precheck: boolean;
  /** See ListenerDeps.connIds. */
  connIds?: () => number;
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

/** The serving settings of a scenario: both engines, its limits and handshake timeout. */
export function serveSettings(
  s: CompiledScenario,
  bus: EventBus,
  o: { precheck?: boolean; connIds?: () => number } = {},
): ServeSettings {
  return {
    bus,
    contexts: new ContextCache(),
    engines: { openssl: opensslEngine, mini: miniEngine },
    limits: new ConnectionLimits(s.limits, bus),
    handshakeTimeoutMs: s.handshakeTimeoutMs,
    precheck: o.precheck ?? true,
    connIds: o.connIds,
  };
}
