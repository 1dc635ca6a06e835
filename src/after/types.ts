import type { EventBus } from '../events/bus.js';
import type { CompiledEndpoint } from '../scenario/compile.js';
import type { Established } from '../tls/engines/types.js';

/** What an after-TLS handler gets: the decrypted stream and who is on the other end. */
export interface SessionContext {
  conn: number;
  peer: string;
  endpoint: CompiledEndpoint;
  established: Established;
  bus: EventBus;
  /** Scenario clock, for expiry checks (SAS tokens, device certificates). */
  now: () => Date;
}

export interface AfterTlsMode {
  name: string;
  description: string;
  start(ctx: SessionContext): void;
}
