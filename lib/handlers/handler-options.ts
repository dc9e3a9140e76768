import type { RetryPolicy } from './retry-policy';

/**
 * Per-handler delivery settings, the second argument of `@MessagePattern` and `@EventPattern`; each
 * overrides the server's option of the same name for this handler only.
 */
export interface HandlerOptions {
  /** How often the handler runs for one record before it counts as failed. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Where a record goes once its handler failed for good: `true` for `<topic>.dlt`, a topic name, or
   * `false` to only log it. Requests still get their error reply.
   */
  readonly deadLetter?: boolean | string;
}
