/**
 * Withheld acknowledgements: for qualification cases (src/qualify) the hub can leave a device's
 * next N PUBACKs, SUBACKs or PINGRESPs unsent, as a lost packet or a half-open connection does,
 * to see whether the device retransmits, resubscribes or notices. Plans are per hub (the device
 * registry is the hub's state) and per device, and outlive connections: "the next N" counts
 * across reconnects, so a retransmission after a reconnect is acknowledged.
 */
import type { DeviceRegistry } from '../../core/registry.js';

export type WithheldAck = 'puback' | 'suback' | 'pingresp';

const plans = new WeakMap<DeviceRegistry, Map<string, Partial<Record<WithheldAck, number>>>>();

/** From now on, the next `count` acknowledgements of `kind` to `deviceId` are not sent. */
export function withholdAcks(devices: DeviceRegistry, deviceId: string, kind: WithheldAck, count: number): void {
  let map = plans.get(devices);
  if (!map) plans.set(devices, (map = new Map()));
  map.set(deviceId, { ...map.get(deviceId), [kind]: count });
}

/** True (and one fewer left) when this acknowledgement is to be withheld. */
export function takeWithheld(devices: DeviceRegistry, deviceId: string, kind: WithheldAck): boolean {
  const plan = plans.get(devices)?.get(deviceId);
  const left = plan?.[kind] ?? 0;
  if (left <= 0) return false;
  plan![kind] = left - 1;
  return true;
}
