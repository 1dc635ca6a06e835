/**
 * Live device connections, so the service side (admin API, tests) can reach a connected device:
 * direct methods, desired-property pushes. One link per device id: a
 * second connection closes the first, as IoT Hub does (400027 ConnectionForcefullyClosedOnNewConnection).
 */
import crypto from 'node:crypto';

/** Cloud-to-device messages do not go through links: they are queued (c2d.ts) and each transport takes them from there. */
export interface DeviceLink {
  conn: number;
  /** The protocol the device is connected over, for the admin API and dashboard (unset: not said). */
  transport?: 'mqtt' | 'https' | 'amqp';
  method(name: string, rid: string, payload: unknown): boolean;
  desired(patch: Record<string, unknown>): boolean;
  close(reason: string): void;
}

export interface MethodResult {
  status: number;
  payload: unknown;
}

interface Pending {
  deviceId: string;
  resolve: (r: MethodResult) => void;
  timer: NodeJS.Timeout;
}

export class DeviceLinks {
  private readonly links = new Map<string, DeviceLink>();
  private readonly pending = new Map<string, Pending>();

  /** Registers a device's connection; an older one is closed first. */
  attach(deviceId: string, link: DeviceLink): void {
    const old = this.links.get(deviceId);
    this.links.set(deviceId, link);
    old?.close(`device ${deviceId} connected again (conn ${link.conn}); IoT Hub closes the older connection (400027)`);
  }

  detach(deviceId: string, link: DeviceLink): void {
    if (this.links.get(deviceId) === link) this.links.delete(deviceId);
  }

  get(deviceId: string): DeviceLink | undefined {
    return this.links.get(deviceId);
  }

  connected(): string[] {
    return [...this.links.keys()];
  }

  /** Invokes a direct method; resolves with the device's response, or status 504 on timeout / 404 offline. */
  invoke(deviceId: string, name: string, payload: unknown, timeoutMs = 30_000): Promise<MethodResult> {
    const link = this.links.get(deviceId);
    const rid = crypto.randomBytes(4).toString('hex');
    if (!link || !link.method(name, rid, payload))
      return Promise.resolve({
        status: 404,
        payload: { errorCode: 404103, message: `device ${deviceId} is not online or not subscribed to methods` },
      });
    return new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          this.settle(rid, {
            status: 504,
            payload: { errorCode: 504101, message: 'timed out waiting for the device to respond' },
          }),
        timeoutMs,
      );
      timer.unref();
      this.pending.set(rid, { deviceId, resolve, timer });
    });
  }

  /** The device answered a method call; false when no such call is pending for it. */
  respond(deviceId: string, rid: string, result: MethodResult): boolean {
    const p = this.pending.get(rid);
    if (!p || p.deviceId !== deviceId) return false;
    return this.settle(rid, result);
  }

  private settle(rid: string, result: MethodResult): boolean {
    const p = this.pending.get(rid);
    if (!p) return false;
    this.pending.delete(rid);
    clearTimeout(p.timer);
    p.resolve(result);
    return true;
  }
}
