/**
 * The logger rxkafka writes through: message first, fields second. Pass your own in the `logger` option:
 * winston and `console` have this shape; pino, whose methods take `(fields, message)`, is recognised and
 * called its way (see `toLogger`); wrap any other fields-first logger (bunyan) in `fieldsFirstLogger()`.
 * The default writes warnings and errors to stderr as single lines.
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

/** A logger whose methods take the fields first and the message second, as pino's and bunyan's do. */
export interface FieldsFirstLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const FIELDS_FIRST = Symbol.for('rxkafka.fieldsFirstLogger');
// Every pino logger (and child) carries its serializers under this registered symbol (pino lib/symbols.js).
const PINO_SERIALIZERS = Symbol.for('pino.serializers');

/**
 * Adapts a fields-first logger (pino, bunyan) to rxkafka's `Logger`. Errors among the fields become plain
 * `{ name, message, code }` objects, since JSON loggers would write an Error as `{}`.
 */
export function fieldsFirstLogger(target: FieldsFirstLogger): Logger {
  const write = (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) =>
    target[level](toPlainFields(fields), message);
  return Object.freeze({
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    [FIELDS_FIRST]: true,
  });
}

/**
 * The logger rxkafka calls, from the one given in the options: a pino logger is adapted with
 * `fieldsFirstLogger` (pino would read `info(message, fields)` as a printf format with an unused argument,
 * and drop the fields), anything else is used as it is.
 */
export function toLogger(logger: Logger): Logger {
  if ((logger as unknown as Record<symbol, unknown>)[FIELDS_FIRST]) return logger;
  if (PINO_SERIALIZERS in logger) return fieldsFirstLogger(logger as unknown as FieldsFirstLogger);
  return logger;
}

function toPlainFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  let plain: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (!(value instanceof Error)) continue;
    plain ??= { ...fields };
    plain[key] = toPlainError(value);
  }
  return plain ?? fields;
}

function toPlainError(error: Error): Record<string, unknown> {
  const { code } = error as { code?: unknown };
  return code === undefined
    ? { name: error.name, message: error.message }
    : { name: error.name, message: error.message, code };
}
