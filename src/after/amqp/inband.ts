/**
 * The AMQP side of in-band fault injection (../inband-faults.ts): how a fault acts on one AMQP
 * connection, and what a refusal window answers (a put-token status, a link refused, the connection
 * closed with the AMQP condition IoT Hub's error maps to in the Azure SDKs).
 */
import type { AmqpError } from 'rhea';
import { resetAfterFlush, type InbandRefusal, type InbandTarget } from '../inband-faults.js';
import type { SessionContext } from '../types.js';
import type { AmqpLink } from './connection.js';

const CONDITIONS: Record<number, string> = {
  429: 'com.microsoft:device-container-throttled',
  403: 'amqp:resource-limit-exceeded',
  401: 'amqp:unauthorized-access',
};

export function refusalError(r: InbandRefusal, why: string): AmqpError {
  return {
    condition: CONDITIONS[r.http.status] ?? 'amqp:unauthorized-access',
    description: `${why}: in-band fault ${r.type} in force until ${new Date(r.until).toISOString()} (${r.http.errorCode} ${r.http.code})`,
  };
}

export function amqpInbandTarget(
  ctx: SessionContext,
  amqp: AmqpLink,
  killLink: (link: string) => boolean,
): InbandTarget {
  return {
    protocol: amqp.protocol,
    kill: () => resetAfterFlush(ctx),
    shutdownAmqp: () =>
      amqp.fail({ condition: 'amqp:connection:forced', description: 'in-band fault ShutDownAmqp: closed by the hub' }),
    killLink,
    refuseNow: (r, reason) => amqp.fail(refusalError(r, reason)),
  };
}
