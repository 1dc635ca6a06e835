/**
 * After-TLS modes: what hubtls does with a connection once TLS is established. A mode is one file
 * (a definition made with `defineAfterMode`) and one line in registry.ts. It owns its options: the
 * TypeBox schema of the fields it reads beside `mode:` in a scenario's `after:` object, their
 * defaults, the checks one JSON Schema cannot say, and how they compile (paths resolved).
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { EventBus } from '../events/bus.js';
import type { OutcomeCode } from '../events/outcomes.js';
import type { Established } from '../tls/engines/types.js';
import type { DeviceRegistry } from '../core/registry.js';

/** A mode's compiled options, opaque outside the mode that made them (see `defineAfterMode`). */
export type AfterOptions = Readonly<Record<string, unknown>>;

/**
 * The part of an endpoint after-TLS handlers read. The scenario's CompiledEndpoint satisfies it;
 * naming only these fields keeps this layer below the scenario layer.
 */
export interface AfterEndpoint {
  name: string;
  kind: 'iothub' | 'dps';
  hostnames: string[];
  /** The after-TLS mode's name. */
  after: string;
  /** That mode's options, as its `compile` made them. */
  afterOptions: AfterOptions;
}

/** The TCP connection under a session's TLS stream, as far as after-TLS modes need it. */
export interface SessionWire {
  /** TCP bytes read so far (handshake included). */
  readonly bytesRead: number;
  /** Whether the hub itself closed the connection (a shutdown, a drop), not the client. */
  readonly closedByHub: boolean;
  /**
   * Asked in the TLS stream's 'end': whether the client's end came with close_notify (the TLS layer
   * ended the stream while TCP was still open) rather than a bare FIN (after-TLS silent-close.ts).
   */
  endedByCloseNotify(): boolean;
  /** KillTcp: a TCP reset once what was already written to the socket has left. */
  resetAfterFlush(): void;
}

/** What an after-TLS handler gets: the decrypted stream and who is on the other end. */
export interface SessionContext {
  conn: number;
  peer: string;
  endpoint: AfterEndpoint;
  established: Established;
  bus: EventBus;
  /** Scenario clock, for expiry checks (SAS tokens, device certificates). */
  now: () => Date;
  /** The hub's device registry and DPS (shared by every endpoint of the scenario). */
  devices: DeviceRegistry;
  /**
   * The wire under the TLS stream: the raw TCP socket in one process; with `--workers N`, the worker's
   * byte count as relayed (serve/relay/). Read for bytes on the wire, e.g. whether a close_notify came.
   */
  socket: SessionWire;
  /** What the connection's handshake event said: a later `verdict` amends it (HUBTLS_ACCEPTED, or HUBTLS_FAULT_INJECTED). */
  handshakeOutcome: OutcomeCode;
}

/** A problem in an endpoint's `after:` field; `segs` is the path below `after`. */
export interface AfterProblem {
  segs: Array<string | number>;
  found?: unknown;
  expected: string;
}

export interface AfterModeDefinition<O extends TObject, C extends AfterOptions> {
  /** Stable id used in scenario files (`after: mqtt`). */
  name: string;
  /** One line for the schema description. */
  description: string;
  /** TypeBox schema of the fields beside `mode:` this mode reads (an empty object when none). */
  options: O;
  /** Values of the options a scenario leaves out. */
  defaults: Partial<Static<O>>;
  /**
   * Rules one JSON Schema cannot say (a required upstream, readable files). `given` is undefined
   * when the scenario names the mode as a plain string.
   */
  problems?(given: Static<O> | undefined, baseDir: string): AfterProblem[];
  /** Defaults applied; turns them into what `start` reads (e.g. paths resolved against baseDir). */
  compile(options: Static<O>, baseDir: string): C;
  start(ctx: SessionContext, options: C): void;
}

/** A definition with its option types erased, so modes of different options fit in one registry. */
export interface AfterTlsMode {
  name: string;
  description: string;
  options: TObject;
  problems(given: Record<string, unknown> | undefined, baseDir: string): AfterProblem[];
  compile(given: Record<string, unknown>, baseDir: string): AfterOptions;
  start(ctx: SessionContext): void;
}

export function defineAfterMode<O extends TObject, C extends AfterOptions>(
  def: AfterModeDefinition<O, C>,
): AfterTlsMode {
  return {
    name: def.name,
    description: def.description,
    options: def.options,
    problems: (given, baseDir) => def.problems?.(given as Static<O> | undefined, baseDir) ?? [],
    compile: (given, baseDir) => def.compile({ ...def.defaults, ...given } as Static<O>, baseDir),
    // The endpoint's options were compiled by this definition (compileAfter), so they are a C.
    start: (ctx) => def.start(ctx, ctx.endpoint.afterOptions as C),
  };
}

/** Spread into the definition of a mode that reads no options. */
export const NO_OPTIONS = {
  options: Type.Object({}, { additionalProperties: false }),
  defaults: {},
  compile: (): AfterOptions => ({}),
};
