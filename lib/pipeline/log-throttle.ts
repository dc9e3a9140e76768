/**
 * At most one log line per key per interval: a flood of records that fail alike (requests naming one
 * unknown reply topic) writes one line per interval with the count of the ones it left out, not a line each.
 */

/** The interval of the log lines about one refused reply topic. */
export const REFUSED_TOPIC_LOG_INTERVAL_MS = 10_000;

export class LogThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Undefined when a line for `key` was written less than the interval ago (this one is counted instead);
   * else how many were left out since the last line, and the caller writes this one.
   */
  admit(key: string): { readonly suppressed: number } | undefined {
    const now = this.#now();
    const entry = this.#keys.get(key);
    if (entry && now - entry.lastAt < this.#intervalMs) {
      entry.suppressed += 1;
      return undefined;
    }
    this.#forgetOlderThan(now);
    this.#keys.set(key, { lastAt: now, suppressed: 0 });
    return { suppressed: entry?.suppressed ?? 0 };
  }

  // Keys whose interval is long over (with nothing left out to report) are dropped, so the map stays small.
  #forgetOlderThan(now: number): void {
    if (this.#keys.size < 1_000) return;
    for (const [key, entry] of this.#keys) {
      if (now - entry.lastAt >= this.#intervalMs && entry.suppressed === 0) this.#keys.delete(key);
    }
  }
}
