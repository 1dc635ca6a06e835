/**
 * Faults: what a flaky network, a restarting gateway or a broken deployment does to a device's
 * connection. A fault *definition* is data plus hooks (one file each, listed in registry.ts); a
 * fault *use* in a scenario names a definition and its params (validated by the definition's
 * TypeBox schema) and is scoped to an endpoint, optionally to a share of its connections.
 *
 * Hooks run at fixed stages of one connection (see README.md in this folder):
 *   hello        after the ClientHello is read and routed, before hubtls answers
 *   material     the chain about to be served (truncate it, swap in a defect fixture)
 *   wire         bytes between the TLS engine and the socket, both directions
 *   established  after the TLS handshake completed
 */
import type { Socket } from 'node:net';
import type { Static, TObject } from '@sinclair/typebox';
import type { ChainMaterial, EndpointMaterial } from '../pki/types.js';
import type { Established } from '../tls/engines/types.js';
import type { HelloView } from '../events/types.js';
import type { RecordFaults } from '../tls/record-faults/faults.js';

/** What every hook can see and do on its connection. */
export interface FaultContext {
  conn: number;
  endpoint: string;
  /** The raw TCP socket (reset or end it to act on the connection). */
  socket: Socket;
  /** Wall-clock time of the TCP accept, in ms (Date.now()), for "N seconds after accept". */
  acceptedAt: number;
  /** Bytes of the ClientHello records already read before any hook ran. */
  helloBytes: number;
  hello: HelloView;
  /** 'handshake' until TLS is established, then 'established'. */
  phase(): 'handshake' | 'established';
  /**
   * Records that this fault acted on the connection, with what it did in words ("reset the
   * connection after the ClientHello"). Before the handshake verdict it shapes the handshake
   * event (outcome HUBTLS_FAULT_INJECTED); later it publishes a `fault` notice for the connection.
   */
  act(detail?: string): void;
  /** Pause hubtls's own handshake timeout while the fault holds the connection on purpose. */
  suspendTimeout(): void;
  resumeTimeout(): void;
  /** A chain the definition asked for in `chains(params)`, loaded for this endpoint's kind. */
  chain(chainId: string): ChainMaterial;
}

/** Returned by a hello hook that now owns the connection: the connection ends with this story. */
export interface FaultTakeover {
  /** What happened, for the event's reason ("the client gave up after 3001 ms"). */
  ended: string;
}

/** Where wire transforms write what they let through. */
export interface WireOut {
  /** Passes bytes on (to the next transform, then the socket); resolves when written. */
  push(bytes: Buffer): Promise<void>;
  /** Waits (real time); the connection may close meanwhile (check `closed`). */
  delay(ms: number): Promise<void>;
  /** FIN after what was pushed so far. */
  end(): void;
  /** TCP RST at once. */
  reset(): void;
  readonly closed: boolean;
}

/**
 * Rewrites bytes as they pass. Called once per chunk, in order; the next chunk waits until the
 * returned promise settles. A transform that does not call `out.push` drops the chunk.
 * Chunks are arbitrary TCP-sized pieces: use RecordBuffer (records.ts) to see whole TLS records.
 */
export type WireTransform = (chunk: Buffer, out: WireOut) => void | Promise<void>;

/** Per-connection hooks: `create` runs once per connection, so closures may keep state (and `ctx`). */
export interface FaultHooks {
  hello?(): void | FaultTakeover | Promise<void | FaultTakeover>;
  material?(served: EndpointMaterial): EndpointMaterial;
  /** Engine → client bytes (TLS records as OpenSSL writes them; plaintext until ChangeCipherSpec). */
  serverToClient?: WireTransform;
  /** Client → engine bytes (after the ClientHello, which was read before any hook). */
  clientToServer?: WireTransform;
  established?(est: Established): void;
  /**
   * Record-level misbehaviour the mini engine carries out (src/tls/record-faults/faults.ts): asking for it
   * routes the connection to the mini engine, when that engine runs the negotiated version and suite.
   */
  records?: { faults: RecordFaults; detail: string };
}

export interface FaultDefinition<P extends TObject = TObject> {
  /** Stable id used in scenario files (`fault: stall`), kebab-case. */
  name: string;
  /** One line for `hubtls faults` and the schema description. */
  summary: string;
  /** TypeBox schema of `params` (defaults are applied before create/explain see them). */
  params: P;
  /** Params for `hubtls faults` and docs when the defaults alone are not valid. */
  example?: Static<P>;
  /** What a device sees, in words, for these params. */
  explain(params: Static<P>): string;
  /** Rules one JSON Schema cannot say well (e.g. "seconds or bytes"); returns what was expected. */
  check?(params: Static<P>): string | undefined;
  /** Catalog chains the fault serves: loaded when the fault is started. */
  chains?(params: Static<P>): string[];
  create(params: Static<P>, ctx: FaultContext): FaultHooks;
}

/** Erases the params type so definitions of different params fit in one registry. */
export type AnyFault = FaultDefinition<TObject>;

export function defineFault<P extends TObject>(def: FaultDefinition<P>): AnyFault {
  return def as unknown as AnyFault;
}

/** One fault use, as compiled from a scenario or given to `runtime.startFault`. Plain data. */
export interface FaultSpec {
  id: string;
  endpoint: string;
  fault: string;
  params: Record<string, unknown>;
  /** Share of the endpoint's connections it acts on (0 < p ≤ 1); absent = all. */
  probability?: number;
  /** Acts on every Nth connection to the endpoint (1 = every one). */
  everyNth?: number;
  /** Whether it acts from the start; false waits for a timeline step or `runtime.startFault`. */
  active: boolean;
}

/** A fault that acted on a connection, as it appears in the handshake event (defined with that event). */
export type { FaultRecord } from '../events/handshake.js';
