/**
 * A qualification case is data (what it proves, the Azure fact behind it, the scenario it runs on,
 * the device it registers) plus two pure functions over what was recorded: `enough` (the case has
 * seen what it needs, stop the device) and `grade` (pass / warn / fail / na, with evidence). The
 * only live part a case may have is `control`: actions on the running hub (drop a connection,
 * withhold acknowledgements, queue a cloud-to-device message) as events arrive.
 */
import type { HandshakeEvent, SessionEvent, VerdictEvent } from '../events/types.js';

export type Grade = 'pass' | 'warn' | 'fail' | 'na';

export interface Graded {
  grade: Grade;
  /** What was seen: times, packet ids, alerts, outcomes (one short sentence each). */
  evidence: string[];
  /** On warn / fail: what to change in the device. */
  fix?: string;
}

/** An event with the time it arrived, in ms since the device command started. */
export type At<E> = E & { t: number };

/** Everything a grader reads: the hub's events in order of arrival and how the device command ended. */
export interface Recording {
  handshakes: Array<At<HandshakeEvent>>;
  verdicts: Array<At<VerdictEvent>>;
  sessions: Array<At<SessionEvent>>;
  /** Connections still open on the hub endpoint (the runner updates it before each check). */
  open: number;
  /** Times (ms) at which the case's control dropped the device's connection. */
  drops: number[];
  device: { exitCode: number | null; stoppedByCase: boolean; timedOut: boolean };
}

/** What a case's control may do to the running hub (kept narrow so graders stay pure). */
export interface CaseHub {
  /** What the control did so far (it runs again on every event). */
  done: Set<string>;
  /** Drops every open connection of the hub endpoint (as a gateway restart does); records the time. */
  drop(): void;
  /** Withholds the next `count` acknowledgements of a kind to the case's device. */
  withhold(kind: 'puback' | 'suback' | 'pingresp', count: number): void;
  /** Throttles the device for `seconds` (CONNECT answered with CONNACK 3) and drops its connection. */
  throttle(seconds: number): void;
  /** Queues a cloud-to-device message of `bytes` bytes for the device. */
  sendC2D(bytes: number): void;
  /** Opens a second MQTT connection with the device's identity (the hub then closes the device's); records the time in `drops`. */
  connectTwin(): void;
  /** Starts one of the endpoint's declared faults (CaseEndpoint.faults) by id. */
  startFault(id: string): void;
}

export type CaseGroup = 'tls' | 'mqtt';

/** The endpoint a case runs on; the runner adds name, kind, hostnames, port, devices. */
export interface CaseEndpoint {
  profile: string;
  chain: string;
  eccChain?: string;
  /** Scenario faults on the endpoint (src/faults/defs). */
  faults?: Array<Record<string, unknown>>;
  /** after-TLS options besides the mode (mqtt). */
  after?: Record<string, unknown>;
}

export interface QualifyCase {
  id: string;
  group: CaseGroup;
  title: string;
  /** What a pass proves about the device. */
  proves: string;
  /** The Azure fact the case rests on, and where it is written. */
  azure: string;
  source: string;
  endpoint: CaseEndpoint;
  /** Scenario timeline steps (src/scenario/timeline/schema.ts). */
  timeline?: Array<Record<string, unknown>>;
  /** Default time limit for the device command, ms. */
  limitMs: number;
  /** Live actions on the hub as events arrive (called after each recorded event). */
  /** Also called every 250 ms with `now` (ms since the device started), for actions after a wait. */
  control?(rec: Recording, hub: CaseHub, now: number): void;
  /** The device credentials: `sas` (default) or `sas-wrong-key` (a key the hub does not hold). */
  credentials?: 'sas' | 'sas-wrong-key';
  enough(rec: Recording, now: number): boolean;
  grade(rec: Recording): Graded;
}
