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
  return config.destination ? pino(options, config.destination) : pino(options);
}

/** A logger that drops everything: for library use and unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
