import type { RetryPolicy } from '../handlers/retry-policy';

/**
 * Runs `run` until it succeeds, `shouldRetry` says no, or the attempts are spent; then rethrows the last
 * error. The record is redelivered in place (its offset is not committed meanwhile), which keeps the
 * partition's order, and the count is bounded: kafkajs's own crash-restart loop redelivers a poison record
 * forever (NestJS issues #10091, #10972).
 */
export async function runWithRetries<T>(
  run: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  shouldRetry: (error: unknown) => boolean,
  beforeRetry?: (error: unknown, attempt: number, backoffMs: number) => Promise<void> | void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !shouldRetry(error)) throw error;
      const backoffMs = Math.min(policy.backoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
      await beforeRetry?.(error, attempt, backoffMs);
      await sleep(backoffMs);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
