import type { RetryPolicy } from './retry-policy';
import type { RetryTopicsOptions } from './retry-topics-options';

/**
 * Per-handler delivery settings, the second argument of `@MessagePattern` and `@EventPattern`; each
 * overrides the server's option of the same name for this handler only.
 */
export interface HandlerOptions {
  /** How often the handler runs for one record before it counts as failed. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * `@EventPattern` only: where a record goes once its handler failed for good: `true` for `<topic>.dlt`,
   * a topic name, or `false` to only log it. A request is never dead-lettered: its caller gets an error reply
   * (set on a `@MessagePattern`, it fails with RXK_INVALID_OPTIONS).
   */
  readonly deadLetter?: boolean | string;
  /**
   * `@EventPattern` only, on a topic name: consume-transform-produce in Kafka transactions. What the handler
   * returns (records `{ topic, key?, value, headers?, partition? }`, an array, a Promise or an Observable of
   * them) and the record's offset commit in one transaction, in a consumer group of their own
   * (`${groupId}.exactly-once`). The topic may have no other handler. A record whose handler failed for good
   * goes to its dead-letter topic in the same transaction, or is skipped (logged, committed) without one.
   * @defaultValue false
   */
  readonly exactlyOnce?: boolean;
  /**
   * On a topic name: non-blocking retries. A record the handler failed on goes to a delay topic per retry
   * (`<topic>.retry.<delayMs>`), is handled again once its delay passed, and after the last one goes to the
   * dead-letter topic (an event) or is answered with the error (a request, whose reply comes from whichever
   * run succeeds), while the source partition goes on. Replaces `retry` and `deadLetter` for this handler
   * (set `retryTopics.deadLetter` instead, events only); not with `exactlyOnce`.
   */
  readonly retryTopics?: RetryTopicsOptions;
}
