import { writeSync } from 'node:fs';
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** json: one JSON line per event (pipelines, CI); pretty: coloured lines for a person; auto: pretty on a TTY. */
export type LogFormat = 'json' | 'pretty' | 'auto';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

export interface LoggerConfig {
  level?: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to capture events. */
  destination?: DestinationStream;
  /** Only for stdout; default HUBTLS_LOG_FORMAT, else auto. */
  format?: LogFormat;
  /** The pretty stream, when `format` wants one (from prettyStream(), loaded only then). */
  pretty?: DestinationStream;
}

/**
 * pino-pretty for a person at a terminal; asynchronous like the JSON stream. Imported on demand:
 * a pipe or CI log never needs it, and it is a sizeable part of the start-up bill.
 */
export async function prettyStream(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: !!process.stdout.isTTY,
    ignore: 'app,pid,hostname,hello',
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
  });
}

/** Pretty only when asked, or when stdout is a terminal: a pipe or CI log always gets JSON. */
export function wantsPretty(
  format: LogFormat = (process.env.HUBTLS_LOG_FORMAT as LogFormat | undefined) ?? 'auto',
  isTty = !!process.stdout.isTTY,
): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

/** One pino logger for the whole process; components take children with `{ component }`. */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.HUBTLS_LOG_LEVEL ?? 'info',
    base: { app: 'hubtls' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.destination) return pino(options, config.destination);
  if (config.pretty && wantsPretty(config.format)) return pino(options, config.pretty);
  // stdout is written asynchronously: a synchronous write blocks the event loop whenever the reader
  // (a pipe, docker's log driver, a terminal) is slower than the handshakes, and measurably slowed
  // every handshake (bench/RESULTS.md). pino flushes it at exit; run.ts flushes on SIGTERM.
  return pino(options, batchedPerTurn(pino.destination({ dest: 1, sync: false })));
}

type Destination = ReturnType<typeof pino.destination>;

/**
 * One write to stdout per event-loop turn instead of one per line: under load a turn finishes
 * several connections, and each line was its own fs.write (a string-to-buffer copy, a threadpool
 * round trip and a syscall; bench/RESULTS.md, issue 17). Lines keep their order (every line goes
 * through here) and leave at the end of the turn that wrote them (setImmediate), so nothing waits
 * on more traffic. After EPIPE pino replaces `write` with a no-op; what is pending is dropped.
 *
 * flush(cb) (run.ts exits through it on SIGTERM) hands the turn's lines over and calls back once
 * every write has reached the file descriptor. SonicBoom's own flush does not wait: with its default
 * minLength 0 it calls back at once, even with an asynchronous write still in the threadpool; the
 * exit that followed then wrote the newer lines synchronously (flushSync) while that older write was
 * still going, so a line could land after `stopped` or be lost. flushSync() (pino's exit handler)
 * writes what is pending too, after SonicBoom's own.
 */
export function batchedPerTurn(stream: Destination): Destination {
  const write = stream.write.bind(stream);
  const flushSync = stream.flushSync.bind(stream);
  let pending = '';
  let scheduled = false;
  /** An asynchronous write is under way (set at each write, cleared by SonicBoom's 'drain'). */
  let writing = false;
  const flushed: Array<() => void> = [];
  const settle = () => {
    writing = false;
    for (const cb of flushed.splice(0)) cb();
  };
  stream.on('drain', settle);
  stream.on('error', settle);
  stream.on('close', settle);
  const drain = () => {
    scheduled = false;
    const lines = pending;
    pending = '';
    if (lines && stream.write === batched) {
      writing = true;
      write(lines);
    }
  };
  const batched = (line: string): boolean => {
    pending += line;
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
    return true;
  };
  stream.write = batched;
  stream.flush = (cb?: (err?: Error) => void) => {
    drain(); // the turn's lines now; the immediate still scheduled then finds nothing
    if (!writing) return void cb?.();
    if (cb) flushed.push(() => cb());
  };
  stream.flushSync = () => {
    flushSync();
    const lines = pending;
    pending = '';
    if (lines && stream.write === batched) writeAllSync((stream as unknown as { fd: number }).fd, lines);
  };
  return stream;
}

/**
 * At exit: the turn's lines, written now and after what SonicBoom still held (they are newer). Not
 * through SonicBoom's write, which would start an asynchronous write that exit may not wait for.
 */
function writeAllSync(fd: number, lines: string): void {
  const buf = Buffer.from(lines);
  try {
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
  } catch {
    // The reader went away (EPIPE) or will not take more: nothing left to tell it.
  }
}

/** A logger that drops everything: for library use and unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
