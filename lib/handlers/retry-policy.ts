/** How often a handler that throws a retriable error (KafkaRetriableException) is run again for one record. */
export interface RetryPolicy {
  /** Runs in total, the first included. 1 = no retry. @defaultValue 3 */
  readonly attempts: number;
  /** Wait before the second run; doubles for each further run. @defaultValue 200 */
  readonly backoffMs: number;
  /** Longest wait between runs. @defaultValue 5000 */
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 3,
  backoffMs: 200,
  maxBackoffMs: 5_000,
});
