import type { Logger, LogLevel } from '../../lib';

/** One call to a logger. */
export interface LogEntry {
  readonly level: Exclude<LogLevel, 'silent'>;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry, so a spec can assert that a bad record was logged and skipped. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  readonly debug = (message: string, fields: Record<string, unknown> = {}): void =>
    void this.entries.push({ level: 'debug', message, fields });
  readonly info = (message: string, fields: Record<string, unknown> = {}): void =>
    void this.entries.push({ level: 'info', message, fields });
  readonly warn = (message: string, fields: Record<string, unknown> = {}): void =>
    void this.entries.push({ level: 'warn', message, fields });
  readonly error = (message: string, fields: Record<string, unknown> = {}): void =>
    void this.entries.push({ level: 'error', message, fields });

  /** Entries at `level` whose message contains `text` and whose fields include `fields`. */
  find(level: LogEntry['level'], text: string, fields: Record<string, unknown> = {}): LogEntry[] {
    return this.entries.filter(
      (entry) =>
        entry.level === level &&
        entry.message.includes(text) &&
        Object.entries(fields).every(([key, value]) => entry.fields[key] === value),
    );
  }
}
