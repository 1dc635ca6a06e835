/** The MQTT side of in-band fault injection (../inband-faults.ts): how a fault acts on one MQTT connection. */
import type { SessionContext } from '../types.js';
import { resetAfterFlush, type InbandTarget } from '../inband-faults.js';
import type { MqttSession } from './session.js';

export function mqttInbandTarget(ctx: SessionContext, session: MqttSession): InbandTarget {
  return {
    protocol: 'mqtt',
    kill: () => resetAfterFlush(ctx),
    shutdown: () => session.close('in-band fault ShutDownMqtt: closed by the hub'),
    // MQTT 3.1.1 has no way to refuse one PUBLISH: IoT Hub closes the connection.
    refuseNow: (_r, reason) => session.close(reason),
  };
}
