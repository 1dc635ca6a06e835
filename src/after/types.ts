import type { Socket } from 'node:net';
import type { EventBus } from '../events/bus.js';
import type { CompiledEndpoint } from '../scenario/compile.js';
import type { Established } from '../tls/engines/types.js';
import type { DeviceRegistry } from '../device/registry.js';

/** What an after-TLS handler gets: the decrypted stream and who is on the other end. */
export interface SessionContext {
  conn: number;
  peer: string;
  endpoint: CompiledEndpoint;
  established: Established;
  bus: EventBus;
  /** Scenario clock, for expiry checks (SAS tokens, device certificates). */
  now: () => Date;
  /** The hub's device registry and DPS (shared by every endpoint of the scenario). */
  devices: DeviceRegistry;
  /** The raw TCP socket under the TLS stream (bytes on the wire, e.g. whether a close_notify came). */
  socket: Socket;
}

export interface AfterTlsMode {
  name: string;
  description: string;
  start(ctx: SessionContext): void;
}
