/**
 * A peer's bad bytes end its own connection, with AMQP's own error where the connection got that
 * far, and nothing else. rhea 1.0.24 does not enforce its max-frame-size on input: a frame header
 * announcing 4 GB makes it buffer whatever follows. It keeps the bytes of an unfinished frame in
 * `previous_input`; after each chunk it read, a pending frame whose size field exceeds ours ends
 * the connection (`amqp:connection:framing-error`); so does a message assembled from many frames
 * beyond MAX_MESSAGE_SIZE (links.ts). Frames rhea cannot decode surface as its
 * `protocol_error` / `error` events, after which rhea itself ends the socket: the close frame is
 * written synchronously before that.
 */
import type { Duplex } from 'node:stream';
import type { Connection } from 'rhea';

/** Our max-frame-size, sent in our open (the SDK splits larger transfers); DPS messages are small. */
export const MAX_FRAME_SIZE = 64 * 1024;

/** DPS requests are a small JSON body (registration id, custom allocation payload). */
export const MAX_MESSAGE_SIZE = 64 * 1024;

/** How long a peer gets to answer our close before its stream is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** The parts of rhea's Connection (1.0.24) this guard reads that its typings do not declare. */
interface RheaInternals {
  previous_input?: Buffer | null;
  _process(): void;
  _disconnected(): void;
}

const AMQP = Buffer.from('AMQP');

export const FRAMING_ERROR = 'amqp:connection:framing-error';

/** AMQP 1.0's protocol header: what a server answers to a header it does not speak (spec 2.2). */
export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);

/** rhea's errors for a first 8 bytes that are not an AMQP 1.0 (or SASL) protocol header. */
export function isHeaderError(e: Error): boolean {
  return /^(Invalid protocol header|Unsupported AMQP version|Invalid AMQP protocol id)/.test(e.message);
}

/** Closes the connection with `condition` now (the close frame is written before this returns). */
export function closeNow(connection: Connection, condition: string, description: string): void {
  if (!connection.is_remote_open() || connection.is_closed()) return;
  connection.close({ condition, description });
  (connection as unknown as RheaInternals)._process();
}

/** Bad input found after a chunk: the condition to close with, and why. */
export interface Violation {
  condition: string;
  reason: string;
  detail: Record<string, unknown>;
}

/** After rhea read a chunk: is it holding the start of a frame larger than we accept? */
export function oversizedFrame(connection: Connection): Violation | undefined {
  const pending = (connection as unknown as RheaInternals).previous_input;
  if (!pending || pending.length < 4 || pending.subarray(0, 4).equals(AMQP)) return undefined;
  const size = pending.readUInt32BE(0);
  if (size <= MAX_FRAME_SIZE) return undefined;
  const reason = `frame of ${size} bytes exceeds max-frame-size ${MAX_FRAME_SIZE}`;
  return { condition: FRAMING_ERROR, reason, detail: { size } };
}

/**
 * Starts rhea on `stream` and then runs `checks` after each chunk rhea read (this listener comes
 * after rhea's own); on the first violation, stops feeding rhea (only rhea's listener and this one
 * are removed: layers under the session may listen too), reports it (`onViolation` closes the
 * connection) and ends the stream.
 */
export function acceptGuarded(
  accept: () => Connection,
  stream: Duplex,
  checks: (connection: Connection) => Array<() => Violation | undefined>,
  onViolation: (v: Violation) => void,
): Connection {
  const before = stream.listeners('data');
  const connection = accept();
  const rhea = stream.listeners('data').filter((l) => !before.includes(l)) as Array<(chunk: Buffer) => void>;
  const all = checks(connection);
  const watch = (): void => {
    const v = all.reduce<Violation | undefined>((found, check) => found ?? check(), undefined);
    if (!v) return;
    for (const l of [...rhea, watch]) stream.removeListener('data', l);
    (connection as unknown as RheaInternals).previous_input = null;
    onViolation(v);
    endSoon(stream);
  };
  stream.on('data', watch);
  return connection;
}

/** Ends our side now; destroys the stream if the peer has not closed its side within the grace time. */
export function endSoon(stream: Duplex): void {
  stream.end();
  destroyUnlessClosed(stream);
}

/** After we closed the AMQP connection: a peer that never answers or hangs up loses the stream. */
export function destroyUnlessClosed(stream: Duplex): void {
  const timer = setTimeout(() => stream.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}

/**
 * rhea learns that its socket is gone from 'end' or 'error' only: a stream destroyed under it (a
 * drop, a shutdown) left its heartbeat timer writing to the dead stream every idle_time_out / 2,
 * forever (measured with a peer that asks for heartbeats). A 'close' it has not seen ends it too.
 */
export function disconnectOnClose(connection: Connection, stream: Duplex): void {
  let seen = false;
  connection.once('disconnected', () => (seen = true));
  stream.once('close', () => seen || (connection as unknown as RheaInternals)._disconnected());
}
