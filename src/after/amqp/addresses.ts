/**
 * The link addresses IoT Hub serves over AMQP, as the Azure SDKs attach them (sans-IO). `role` is
 * the hub's side of the link: `receiver` when the peer sends (telemetry, requests, the service's
 * C2D), `sender` when the hub sends (C2D, responses, method calls, feedback).
 *
 *   $cbs                                              claims-based security (put-token, both ways)
 *   /devices/{d}[/modules/{m}]/messages/events        telemetry (peer sends); for a module, the peer
 *                                                     receiving on it gets its input messages
 *   /devices/{d}/messages/devicebound                 cloud-to-device (hub sends)
 *   /devices/{d}[/modules/{m}]/twin                   twin requests and responses, desired pushes
 *   /devices/{d}[/modules/{m}]/methods/devicebound    method calls and their responses
 *   /messages/devicebound                             the service's cloud-to-device sender
 *   /messages/serviceBound/feedback                   the service's feedback receiver
 */
import { moduleLinkId } from '../../core/links.js';

export type Role = 'sender' | 'receiver';

export interface DeviceIdentity {
  deviceId: string;
  moduleId?: string;
  /** What DeviceLinks knows the connection by: the device id or `{device}/{module}`. */
  linkId: string;
}

export type DeviceAddressKind = 'telemetry' | 'c2d' | 'module-inputs' | 'twin' | 'methods';

export type Address =
  | { kind: 'cbs' }
  | ({ kind: DeviceAddressKind } & DeviceIdentity)
  | { kind: 'service-c2d' }
  | { kind: 'service-feedback' }
  | { kind: 'unknown'; why: string };

function identity(deviceId: string, moduleId?: string): DeviceIdentity {
  return moduleId ? { deviceId, moduleId, linkId: moduleLinkId(deviceId, moduleId) } : { deviceId, linkId: deviceId };
}

function decode(seg: string): string | undefined {
  try {
    return decodeURIComponent(seg);
  } catch {
    return undefined;
  }
}

/** The path of an address, without `amqps://host` when a client sends the full form. */
function pathOf(address: string): string {
  const m = /^amqps?:\/\/[^/]*(\/.*)?$/i.exec(address);
  return m ? (m[1] ?? '/') : address;
}

/** What the rest of a device path (after `/devices/{d}[/modules/{m}]`) means for this role, or why not. */
function deviceKind(rest: string, role: Role, module: boolean): DeviceAddressKind | string {
  if (rest === 'messages/events') return role === 'receiver' ? 'telemetry' : module ? 'module-inputs' : 'not-served';
  if (rest === 'messages/devicebound' && !module) return role === 'sender' ? 'c2d' : 'not-served';
  if (rest === 'twin') return 'twin';
  if (rest === 'methods/devicebound') return 'methods';
  return 'not-served';
}

function serviceAddress(path: string, role: Role): Address | undefined {
  const p = path.toLowerCase();
  if (p === '/messages/devicebound')
    return role === 'receiver'
      ? { kind: 'service-c2d' }
      : {
          kind: 'unknown',
          why: 'the service sends cloud-to-device messages on /messages/devicebound; it cannot receive from it',
        };
  if (p === '/messages/servicebound/feedback')
    return role === 'sender'
      ? { kind: 'service-feedback' }
      : { kind: 'unknown', why: 'the feedback address only delivers to the service' };
  return undefined;
}

export function parseAddress(address: string | undefined, role: Role): Address {
  if (!address) return { kind: 'unknown', why: 'the link has no address' };
  if (address === '$cbs') return { kind: 'cbs' };
  const path = pathOf(address);
  const service = serviceAddress(path, role);
  if (service) return service;
  const m = /^\/devices\/([^/]+)(?:\/modules\/([^/]+))?\/(.+?)\/?$/.exec(path);
  const deviceId = m && decode(m[1]!);
  const moduleId = m?.[2] !== undefined ? decode(m[2]) : undefined;
  if (!m || !deviceId || (m[2] !== undefined && !moduleId))
    return { kind: 'unknown', why: `'${address}' is not an address IoT Hub serves` };
  const kind = deviceKind(m[3]!.toLowerCase(), role, moduleId !== undefined);
  if (kind === 'not-served')
    return {
      kind: 'unknown',
      why: `IoT Hub serves no ${role === 'sender' ? 'receiving' : 'sending'} link on '${address}'`,
    };
  return { kind: kind as DeviceAddressKind, ...identity(deviceId, moduleId) };
}

/** The device a service message's `to` names: `/devices/{id}/messages/devicebound` (id URL-encoded). */
export function c2dTarget(to: unknown): string | undefined {
  if (typeof to !== 'string') return undefined;
  const m = /^\/devices\/([^/]+)\/messages\/devicebound\/?$/i.exec(pathOf(to));
  return m ? decode(m[1]!) : undefined;
}
