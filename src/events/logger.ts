import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerConfig {
  level?: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to capture events. */
  destination?: DestinationStream;
}

/** One pino logger for the whole process; components take children with `{ component }`. */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.HUBTLS_LOG_LEVEL ?? 'info',
    base: { app: 'hubtls' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // stdout is written asynchronously: a synchronous write blocks the event loop whenever the reader
  // (a pipe, docker's log driver, a terminal) is slower than the handshakes, and measurably slowed
  // every handshake (bench/RESULTS.md). pino flushes it at exit; run.ts flushes on SIGTERM.
  return pino(options, config.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A logger that drops everything: for library use and unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
