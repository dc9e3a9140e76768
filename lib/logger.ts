/**
 * The logger rxkafka writes through. Pass your own (pino, winston and console all fit this shape) in the
 * `logger` option; the default writes warnings and errors to stderr as single lines.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger that writes `level` and above to a stream, one line per entry, fields as JSON. */
export function createStreamLogger(
  level: LogLevel = 'warn',
  stream: NodeJS.WritableStream = process.stderr,
  prefix = 'rxkafka',
): Logger {
  const write =
    (entryLevel: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
      if (LEVEL_RANK[entryLevel] < LEVEL_RANK[level]) return;
      const suffix = fields && Object.keys(fields).length > 0 ? ` ${safeStringify(fields)}` : '';
      stream.write(`[${prefix}] ${entryLevel.toUpperCase()} ${message}${suffix}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

function safeStringify(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return '[unserializable fields]';
  }
}
