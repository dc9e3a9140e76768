import type { Logger } from '../logger';

/**
 * At most one log line per key per interval: a flood of records that fail alike (requests naming one
 * unknown reply topic) writes one line per interval with the count of the ones it left out, not a line each.
 */

/** The interval of the log lines about one refused reply topic. */
export const REFUSED_TOPIC_LOG_INTERVAL_MS = 10_000;

/**
 * The interval of the log lines about records that fail alike (broken reply headers on a topic, a pattern
 * nobody handles, one handler failing): anyone who can write to a topic can send such records by the
 * thousand, and the log must stay readable.
 */
export const RECORD_LOG_INTERVAL_MS = 10_000;

/** How many lines of one kind pass in each RECORD_LOG_INTERVAL_MS before the rest are only counted. */
export const RECORD_LOG_BURST = 5;

export class LogThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #burst: number;
  readonly #keys = new Map<string, { windowAt: number; admitted: number; suppressed: number }>();

  /** `burst` lines of a key pass in each interval before the others are only counted. */
  constructor(intervalMs: number, now: () => number = Date.now, burst = 1) {
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#burst = burst;
  }

  /**
   * Undefined when `burst` lines for `key` were written in the current interval (this one is counted
   * instead); else how many were left out since the last line, and the caller writes this one.
   */
  admit(key: string): { readonly suppressed: number } | undefined {
    const now = this.#now();
    const entry = this.#keys.get(key);
    if (entry && now - entry.windowAt < this.#intervalMs) {
      if (entry.admitted < this.#burst) {
        entry.admitted += 1;
        return { suppressed: 0 };
      }
      entry.suppressed += 1;
      return undefined;
    }
    this.#forgetOlderThan(now);
    this.#keys.set(key, { windowAt: now, admitted: 1, suppressed: 0 });
    return { suppressed: entry?.suppressed ?? 0 };
  }

  // Keys whose interval is long over (with nothing left out to report) are dropped, so the map stays small.
  #forgetOlderThan(now: number): void {
    if (this.#keys.size < 1_000) return;
    for (const [key, entry] of this.#keys) {
      if (now - entry.windowAt >= this.#intervalMs && entry.suppressed === 0) this.#keys.delete(key);
    }
  }
}

/**
 * Writes `text` with `write` unless a line of `key` was written less than the throttle's interval ago; the
 * next line written says how many were left out meanwhile.
 */
export function logThrottled(
  throttle: LogThrottle,
  key: string,
  logger: Logger,
  level: 'warn' | 'error',
  text: string,
  fields: Record<string, unknown>,
): void {
  const admitted = throttle.admit(key);
  if (!admitted) return;
  const { suppressed } = admitted;
  if (suppressed === 0) logger[level](text, fields);
  else
    logger[level](`${text} (and ${suppressed} more like it since the last line)`, { ...fields, suppressed });
}
