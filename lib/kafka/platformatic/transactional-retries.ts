/**
 * How a @platformatic/kafka transactional producer waits out CONCURRENT_TRANSACTIONS (Kafka error 51).
 *
 * Why: the transaction coordinator answers 51 to AddPartitionsToTxn, AddOffsetsToTxn and InitProducerId
 * while it still completes the previous transaction of the same transactional id (or, at a fence, aborts the
 * one an older producer left open), so back-to-back transactions meet it all the time; kafkajs's adapter
 * measured up to ~350 ms per transaction with a 300 ms retry and ~42 ms with 20 ms
 * (kafkajs/transactional-retry-defaults.ts). @platformatic/kafka retries 51 (it is `canRetry: true`) after its
 * `retryDelay`, 1 s by default, and only `retries` times. So: a 20 ms delay for 51 (any other error keeps the
 * user's delay), and, past the library's retries, the step is run again while 51 persists, up to 10 s, as
 * kafkajs/send-offsets-retry.ts does. Running a step again is safe: a step that met 51 added nothing to the
 * transaction (the library records a partition or group as added only once the coordinator took it).
 */
import type { PlatformaticBaseOptions } from './platformatic-options';
import { walkPlatformaticErrors } from './platformatic-errors';

/** The delay before a retry of a request the coordinator answered with CONCURRENT_TRANSACTIONS. */
export const CONCURRENT_TRANSACTIONS_RETRY_MS = 20;

/**
 * How many times the library retries a transactional producer's request unless the user said: kafkajs's
 * default. An idempotent @platformatic/kafka producer otherwise retries without end (retries ≤ 1 becomes
 * Number.MAX_SAFE_INTEGER), and a transaction would hang on a lost broker instead of failing and being retried
 * by the runtime with a new producer.
 */
export const TRANSACTIONAL_RETRIES = 5;

/**
 * The `retries` of a transactional producer: the user's, else TRANSACTIONAL_RETRIES. A user's 0 or 1 becomes
 * 2, the fewest the library keeps as given for an idempotent producer (it reads 0 and 1 as "retry forever").
 */
export function toTransactionalRetries(user: number | undefined): number {
  return user === undefined ? TRANSACTIONAL_RETRIES : Math.max(2, user);
}

/** How often and how long a step is run again while it fails with CONCURRENT_TRANSACTIONS. */
export interface ConcurrentTransactionsRetry {
  /** @defaultValue 20 */
  readonly everyMs: number;
  /** Past this, the last error is thrown. @defaultValue 10_000 */
  readonly forMs: number;
}

export const CONCURRENT_TRANSACTIONS_RETRY: ConcurrentTransactionsRetry = Object.freeze({
  everyMs: CONCURRENT_TRANSACTIONS_RETRY_MS,
  forMs: 10_000,
});

type RetryDelay = NonNullable<PlatformaticBaseOptions['retryDelay']>;

/**
 * The library's `retryDelay` for a transactional producer: 20 ms after CONCURRENT_TRANSACTIONS, the user's
 * delay (a number or a function of the attempt) after anything else.
 */
export function toTransactionalRetryDelay(
  user: PlatformaticBaseOptions['retryDelay'],
  libraryDefaultMs = 1_000,
): (client: unknown, operationId: string, attempt: number, retries: number, error: unknown) => number {
  const otherwise: RetryDelay = user ?? libraryDefaultMs;
  return (client, operationId, attempt, _retries, error) => {
    if (isConcurrentTransactions(error)) return CONCURRENT_TRANSACTIONS_RETRY_MS;
    return typeof otherwise === 'number' ? otherwise : otherwise(client, operationId, attempt);
  };
}

/**
 * True when `error` is CONCURRENT_TRANSACTIONS and nothing in it is final: the library's retries stop at the
 * first error marked `canRetry: false`, and such an error is not 51's to wait out.
 */
export function isConcurrentTransactions(error: unknown): boolean {
  let concurrent = false;
  for (const link of walkPlatformaticErrors(error) as Iterable<{ apiId?: unknown; canRetry?: unknown }>) {
    if (link.canRetry === false) return false;
    if (link.apiId === 'CONCURRENT_TRANSACTIONS') concurrent = true;
  }
  return concurrent;
}

/** Runs `step`, again every `everyMs` while it fails with CONCURRENT_TRANSACTIONS, until `forMs` passed. */
export async function retryingConcurrentTransactions<T>(
  step: () => Promise<T>,
  retry: ConcurrentTransactionsRetry = CONCURRENT_TRANSACTIONS_RETRY,
): Promise<T> {
  const deadline = Date.now() + retry.forMs;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (!isConcurrentTransactions(error) || Date.now() + retry.everyMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, retry.everyMs));
    }
  }
}
