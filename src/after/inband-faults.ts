/**
 * In-band fault injection as IoT Hub's own end-to-end tests use it (azure-iot-sdk-c / -csharp /
 * -java / -node `FaultInjection` helpers): a device-to-cloud message carrying the application
 * properties
 *
 *   AzIoTHub_FaultOperationType          KillTcp | ShutDownMqtt | InvokeThrottling | InvokeMaxMessageQuota | InvokeAuthError
 *   AzIoTHub_FaultOperationCloseReason   free text ("boom" ungraceful, "byebye" graceful in the SDK tests)
 *   AzIoTHub_FaultOperationDelayInSecs   seconds after the message before the fault acts
 *   AzIoTHub_FaultOperationDurationInSecs how long the refusals last (throttling, quota, auth)
 *
 * is accepted (recorded, acknowledged) and then, after the delay:
 *   KillTcp                the TCP connection is reset (no TLS close_notify, no MQTT goodbye)
 *   ShutDownMqtt           the MQTT connection is closed cleanly (TLS close; MQTT 3.1.1 has no server DISCONNECT)
 *   InvokeThrottling       for the duration the device is throttled: HTTPS 429 (429001 ThrottlingException);
 *                          MQTT, which has no error reply, closes the connection and answers CONNECT with CONNACK 3
 *   InvokeMaxMessageQuota  likewise with HTTPS 403 (403002 IotHubQuotaExceeded), MQTT close + CONNACK 3
 *   InvokeAuthError        likewise with HTTPS 401 (401003 IotHubUnauthorized), MQTT close + CONNACK 5
 *   ShutDownAmqp           the AMQP connection is closed cleanly (AMQP close frame)
 *   KillAmqp…Link…         the device's AMQP link of that kind is detached (amqp:link:detach-forced)
 * Faults that do not apply to the transport are logged as ignored. Each act is a `notice` with `what: 'fault'`, as the scenario faults' late acts.
 * Delay and duration are real time (like the timeline's `delay`), so a bench sees them as written.
 *
 * Each transport lends an `InbandTarget` (how to kill, shut down, refuse now) and asks `refusal()`
 * before serving a device; the definitions below are one small object per fault type.
 */
import type { DeviceRegistry } from '../core/registry.js';
import type { SessionContext } from './types.js';

export const INBAND_PROPERTIES = {
  type: 'AzIoTHub_FaultOperationType',
  closeReason: 'AzIoTHub_FaultOperationCloseReason',
  delay: 'AzIoTHub_FaultOperationDelayInSecs',
  duration: 'AzIoTHub_FaultOperationDurationInSecs',
} as const;

export interface InbandFault {
  type: string;
  closeReason: string;
  delaySeconds: number;
  durationSeconds: number;
}

/** A refusal in force for a device: what each transport answers. */
export interface InbandRefusal {
  type: string;
  http: { status: number; errorCode: number; code: string };
  /** MQTT CONNACK return code. */
  connack: number;
  /** Real-time end, ms. */
  until: number;
}

/** What a transport lends the fault for one connection; a missing method means "does not apply here". */
export interface InbandTarget {
  protocol: 'mqtt' | 'https' | 'amqp' | 'amqp-ws';
  /** TCP reset of the connection. */
  kill(): void;
  /** Clean close of an MQTT connection. */
  shutdown?(): void;
  /** Clean close of an AMQP connection. */
  shutdownAmqp?(): void;
  /** Detaches the device's AMQP links of one kind (an AMQP_LINK_FAULTS value); false when none is attached. */
  killLink?(link: string): boolean;
  /** A refusal window opened: end what must end now (MQTT closes; HTTPS refuses the next requests). */
  refuseNow?(r: InbandRefusal, reason: string): void;
}

interface Definition {
  explain(f: InbandFault): string;
  /** Does it; returns what it did, or undefined when it does not apply to this target. */
  act(
    f: InbandFault,
    target: InbandTarget,
    open: (r: Omit<InbandRefusal, 'until'>) => InbandRefusal,
  ): string | undefined;
}

/** IoT Hub's AMQP link faults: the link each one detaches (the hub's side: `*-in` the peer sends on, `*-out` the hub sends on). */
export const AMQP_LINK_FAULTS: Record<string, string> = {
  KillAmqpCBSLinkReq: 'cbs-in',
  KillAmqpCBSLinkResp: 'cbs-out',
  KillAmqpD2CLink: 'telemetry-in',
  KillAmqpC2DLink: 'c2d-out',
  KillAmqpTwinLinkReq: 'twin-in',
  KillAmqpTwinLinkResp: 'twin-out',
  KillAmqpMethodReqLink: 'methods-out',
  KillAmqpMethodRespLink: 'methods-in',
};

function killingLink(link: string): Definition {
  return {
    explain: (f) => `detach the device's ${link} AMQP link ${f.delaySeconds} s after the message`,
    act: (f, target) =>
      target.killLink
        ? target.killLink(link)
          ? `detached the ${link} AMQP link (${f.closeReason})`
          : `found no ${link} AMQP link to detach`
        : undefined,
  };
}

function refusing(http: InbandRefusal['http'], connack: number, words: string): Definition {
  return {
    explain: (f) => `${words} for ${f.durationSeconds} s, ${f.delaySeconds} s after the message`,
    act: (f, target, open) => {
      const r = open({ type: f.type, http, connack });
      target.refuseNow?.(r, `in-band fault ${f.type}: ${words} (${f.closeReason})`);
      return `${words} for ${f.durationSeconds} s (HTTPS ${http.status} ${http.errorCode}, MQTT close + CONNACK ${connack})`;
    },
  };
}

/** The refusing faults' answers: HTTPS status and error code, MQTT CONNACK, in words. */
export const REFUSALS = {
  InvokeThrottling: {
    http: { status: 429, errorCode: 429001, code: 'ThrottlingException' },
    connack: 3,
    words: 'throttle the device',
  },
  InvokeMaxMessageQuota: {
    http: { status: 403, errorCode: 403002, code: 'IotHubQuotaExceeded' },
    connack: 3,
    words: "refuse the device's messages: daily quota exceeded",
  },
  InvokeAuthError: {
    http: { status: 401, errorCode: 401003, code: 'IotHubUnauthorized' },
    connack: 5,
    words: 'refuse the device as unauthorized',
  },
} as const;

const refusingDef = (type: keyof typeof REFUSALS) =>
  refusing(REFUSALS[type].http, REFUSALS[type].connack, REFUSALS[type].words);

export const INBAND_FAULTS: Record<string, Definition> = {
  KillTcp: {
    explain: (f) => `reset the TCP connection ${f.delaySeconds} s after the message`,
    act: (f, target) => (target.kill(), `reset the TCP connection (${f.closeReason})`),
  },
  ShutDownMqtt: {
    explain: (f) => `close the MQTT connection cleanly ${f.delaySeconds} s after the message`,
    act: (f, target) =>
      target.shutdown ? (target.shutdown(), `closed the MQTT connection (${f.closeReason})`) : undefined,
  },
  ShutDownAmqp: {
    explain: (f) => `close the AMQP connection cleanly ${f.delaySeconds} s after the message`,
    act: (f, target) =>
      target.shutdownAmqp ? (target.shutdownAmqp(), `closed the AMQP connection (${f.closeReason})`) : undefined,
  },
  ...Object.fromEntries(Object.entries(AMQP_LINK_FAULTS).map(([type, link]) => [type, killingLink(link)])),
  InvokeThrottling: refusingDef('InvokeThrottling'),
  InvokeMaxMessageQuota: refusingDef('InvokeMaxMessageQuota'),
  InvokeAuthError: refusingDef('InvokeAuthError'),
};

const seconds = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
};

/**
 * The fault a message asks for, from its application properties; undefined for an ordinary message.
 * Names match case-insensitively: HTTP header names (`iothub-app-…`) reach us lower-cased.
 */
export function parseInbandFault(props: Record<string, string>): InbandFault | undefined {
  const lower = new Map(Object.entries(props).map(([k, v]) => [k.toLowerCase(), v]));
  const get = (k: string) => lower.get(k.toLowerCase());
  const P = INBAND_PROPERTIES;
  const type = get(P.type);
  if (!type) return undefined;
  return {
    type,
    closeReason: get(P.closeReason) ?? '',
    delaySeconds: seconds(get(P.delay), 0),
    durationSeconds: seconds(get(P.duration), 0),
  };
}

/** Refusal windows per hub (the registry is the hub's state), per device: they outlive connections. */
const windows = new WeakMap<DeviceRegistry, Map<string, InbandRefusal>>();

/** The refusal in force for a device, if any. */
export function refusal(devices: DeviceRegistry, deviceId: string): InbandRefusal | undefined {
  const map = windows.get(devices);
  const r = map?.get(deviceId);
  if (r && r.until <= Date.now()) map!.delete(deviceId);
  return r && r.until > Date.now() ? r : undefined;
}

function openWindow(devices: DeviceRegistry, deviceId: string, f: InbandFault) {
  return (r: Omit<InbandRefusal, 'until'>): InbandRefusal => {
    let map = windows.get(devices);
    if (!map) windows.set(devices, (map = new Map()));
    const full = { ...r, until: Date.now() + f.durationSeconds * 1000 };
    map.set(deviceId, full);
    return full;
  };
}

/**
 * Opens a refusal window for a device directly, as the in-band fault `type` would after its delay
 * (qualification cases throttle a device this way; the caller ends its open connections).
 */
export function openRefusal(
  devices: DeviceRegistry,
  deviceId: string,
  type: keyof typeof REFUSALS,
  durationSeconds: number,
): InbandRefusal {
  const { http, connack } = REFUSALS[type];
  const f = { type, closeReason: '', delaySeconds: 0, durationSeconds };
  return openWindow(devices, deviceId, f)({ type, http, connack });
}

/**
 * KillTcp for any transport: a TCP reset once what was already written (the PUBACK or the 204 of
 * the fault message, which IoT Hub acknowledges) has left the decrypted stream and the socket.
 */
export function resetAfterFlush(ctx: SessionContext): void {
  const { stream } = ctx.established;
  const reset = (): void => ctx.socket.resetAfterFlush();
  if (stream.writableLength > 0) stream.once('drain', reset);
  else reset();
}

/** Called for every device-to-cloud message: arms the fault it asks for (after its delay). */
export function inbandFault(
  ctx: SessionContext,
  deviceId: string,
  props: Record<string, string>,
  target: InbandTarget,
): InbandFault | undefined {
  const f = parseInbandFault(props);
  if (!f) return undefined;
  const timer = setTimeout(() => run(ctx, deviceId, f, target), f.delaySeconds * 1000);
  timer.unref();
  return f;
}

function run(ctx: SessionContext, deviceId: string, f: InbandFault, target: InbandTarget): void {
  const def = INBAND_FAULTS[f.type];
  const did = def?.act(f, target, openWindow(ctx.devices, deviceId, f));
  const explanation = def ? def.explain(f) : `${f.type} is not an in-band fault hubtls emulates`;
  const what = did ?? `ignored: ${def ? `${f.type} does not apply to ${target.protocol}` : explanation}`;
  ctx.bus.publish({
    type: 'notice',
    level: did ? 'info' : 'warn',
    what: 'fault',
    msg: `conn ${ctx.conn}: in-band fault ${f.type} from ${deviceId} ${what}`,
    conn: ctx.conn,
    endpoint: ctx.endpoint.name,
    deviceId,
    fault: { id: 'in-band', fault: f.type, explanation, detail: what, ...f },
  });
}
