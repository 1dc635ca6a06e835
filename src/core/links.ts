/**
 * Live device connections, so the service side (admin API, tests) can reach a connected device:
 * direct methods, desired-property pushes. One link per device id: a
 * second connection closes the first, as IoT Hub does (400027 ConnectionForcefullyClosedOnNewConnection).
 */
import crypto from 'node:crypto';

/** The link id of a module connection: `{deviceId}/{moduleId}` (device ids cannot contain '/'). */
export function moduleLinkId(deviceId: string, moduleId: string): string {
  return `${deviceId}/${moduleId}`;
}

/** Cloud-to-device messages do not go through links: they are queued (c2d.ts) and each transport takes them from there. */
export interface DeviceLink {
  conn: number;
  /** The protocol the device is connected over, for the admin API and dashboard (unset: not said). */
  transport?: 'mqtt' | 'https' | 'amqp' | 'mqtt-ws' | 'amqp-ws';
  method(name: string, rid: string, payload: unknown): boolean;
  desired(patch: Record<string, unknown>): boolean;
  close(reason: string): void;
}

export interface MethodResult {
  status: number;
  payload: unknown;
  /** Set when the hub answered instead of the device: not connected / subscribed (404103), no answer in time (504101). */
  failed?: 'offline' | 'timeout';
}

export interface InvokeOptions {
  /** How long to wait for the device's answer (default 30 s). */
  responseTimeoutMs?: number;
  /** How long to wait for an offline device to connect first (default 0: offline fails at once). */
  connectTimeoutMs?: number;
}

interface Pending {
  deviceId: string;
  resolve: (r: MethodResult) => void;
  timer: NodeJS.Timeout;
}

export class DeviceLinks {
  private readonly links = new Map<string, DeviceLink>();
  private readonly pending = new Map<string, Pending>();
  private readonly arrivals = new Map<string, Set<() => void>>();
  private readonly stateTimes = new Map<string, string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** When the link id last connected or disconnected (IoT Hub's connectionStateUpdatedTime). */
  stateUpdated(deviceId: string): string | undefined {
    return this.stateTimes.get(deviceId);
  }

  /** Registers a device's connection; an older one is closed first. */
  attach(deviceId: string, link: DeviceLink): void {
    const old = this.links.get(deviceId);
    this.links.set(deviceId, link);
    this.stateTimes.set(deviceId, this.now().toISOString());
    old?.close(`device ${deviceId} connected again (conn ${link.conn}); IoT Hub closes the older connection (400027)`);
    this.ready(deviceId);
  }

  detach(deviceId: string, link: DeviceLink): void {
    if (this.links.get(deviceId) !== link) return;
    this.links.delete(deviceId);
    this.stateTimes.set(deviceId, this.now().toISOString());
  }

  get(deviceId: string): DeviceLink | undefined {
    return this.links.get(deviceId);
  }

  connected(): string[] {
    return [...this.links.keys()];
  }

  /**
   * Invokes a direct method; resolves with the device's response, or status 404 (failed 'offline') /
   * 504 (failed 'timeout'). A number is the response timeout (the original signature).
   */
  async invoke(
    deviceId: string,
    name: string,
    payload: unknown,
    options: number | InvokeOptions = {},
  ): Promise<MethodResult> {
    const o = typeof options === 'number' ? { responseTimeoutMs: options } : options;
    const rid = crypto.randomBytes(4).toString('hex');
    const deadline = Date.now() + (o.connectTimeoutMs ?? 0);
    while (!this.links.get(deviceId)?.method(name, rid, payload)) {
      const left = deadline - Date.now();
      if (left <= 0)
        return {
          status: 404,
          payload: { errorCode: 404103, message: `device ${deviceId} is not online or not subscribed to methods` },
          failed: 'offline',
        };
      await this.readiness(deviceId, left);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          this.settle(rid, {
            status: 504,
            payload: { errorCode: 504101, message: 'timed out waiting for the device to respond' },
            failed: 'timeout',
          }),
        o.responseTimeoutMs ?? 30_000,
      );
      timer.unref();
      this.pending.set(rid, { deviceId, resolve, timer });
    });
  }

  /**
   * A device's connection can take more than before (it subscribed, e.g. to methods): calls waiting
   * for it (connect timeout) try again. `attach` says it too.
   */
  ready(deviceId: string): void {
    for (const waiter of this.arrivals.get(deviceId) ?? []) waiter();
  }

  /** Resolves when the device connects or says it is ready, or after `ms`. */
  private readiness(deviceId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.arrivals.get(deviceId) ?? new Set();
      this.arrivals.set(deviceId, set);
      const end = () => {
        clearTimeout(timer);
        set.delete(end);
        if (!set.size) this.arrivals.delete(deviceId);
        resolve();
      };
      const timer = setTimeout(end, ms);
      timer.unref();
      set.add(end);
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
