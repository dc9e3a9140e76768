/**
 * Topics Kafka refused a write to (no such topic, not authorized) or that took no write within the
 * sender's bound before they ever took one, remembered for a short while: a flood of records to one
 * unknown topic then costs one metadata lookup (kafkajs retries one for seconds), not one per record.
 */

/** How long a refused topic is remembered. Short: a topic created meanwhile is written to soon after. */
export const REFUSED_TOPIC_TTL_MS = 10_000;

export class RefusedTopics {
  readonly #refused = new Map<string, { readonly error: unknown; readonly until: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number = REFUSED_TOPIC_TTL_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Remembers that `topic` was refused, with the error its records fail with meanwhile. */
  refuse(topic: string, error: unknown): void {
    this.#refused.set(topic, { error, until: this.#now() + this.#ttlMs });
  }

  /** The error a record to `topic` fails with now, or undefined when the topic is not (or no more) refused. */
  refusalOf(topic: string): unknown {
    if (this.#refused.size === 0) return undefined;
    const entry = this.#refused.get(topic);
    if (!entry) return undefined;
    if (entry.until > this.#now()) return entry.error;
    this.#refused.delete(topic);
    return undefined;
  }

  /** A write to `topic` succeeded: it is not refused any more. */
  accept(topic: string): void {
    if (this.#refused.size > 0) this.#refused.delete(topic);
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }
}
