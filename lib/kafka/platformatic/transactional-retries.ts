/**
 * How a @platformatic/kafka transactional producer's steps are retried: by the adapter, not the library.
 *
 * Why not the library: its `retries` are one count for every request of the producer, and each of its
 * retries goes where the first attempt went. A produce request goes to the leader the send's metadata named
 * (producer.js #performSingleDestinationSend, 1.35.0, see send-retries.ts), and the coordinator requests
 * (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn) to the transaction coordinator the producer
 * looked up once for its whole life (`#coordinatorId` is set by its first FindCoordinator, never cleared). A
 * broker that died is retried for the whole schedule, while the cluster elected other leaders and another
 * coordinator within seconds. So the transactional producer, like the plain one, retries nothing itself
 * (NO_LIBRARY_RETRIES) and the adapter decides, step by step, on the user's schedule (`retries`, kafkajs's
 * 5 where unset, and `retryDelay`):
 * - a send's records go again on fresh metadata (send-retries.ts). Safe inside a transaction: the
 *   idempotent producer moves a partition's sequence number on only for the partitions the broker
 *   acknowledged, so a send again carries the producer id, epoch and sequence of the failed one; a batch
 *   the dead leader wrote and replicated before dying is known to the new leader as a duplicate and
 *   acknowledged, not written twice; one it had not replicated was never acknowledged to anyone, and the
 *   new leader writes it. The partitions were added to the transaction (AddPartitionsToTxn) before the first
 *   send, as a coordinator step of their own, so a send again adds nothing.
 * - a coordinator step is run again after a Kafka answer that says "later" (COORDINATOR_LOAD_IN_PROGRESS and
 *   the like; CONCURRENT_TRANSACTIONS in 20 ms steps, see below), but not after a lost connection to the
 *   coordinator or NOT_COORDINATOR once the coordinator is known: this producer would only ask the same
 *   broker again. The step fails, the transaction fails, and exactly-once processing does what it does with
 *   any failed transaction: aborts it, drops the producer, and runs the batch again from its first record
 *   on a new producer, which looks the coordinator up afresh and fences the old one (whose transaction the
 *   coordinator then aborts). Nothing of the failed transaction is ever read by a read_committed reader.
 *
 * CONCURRENT_TRANSACTIONS (Kafka error 51): the transaction coordinator answers it to AddPartitionsToTxn,
 * AddOffsetsToTxn and InitProducerId while it still completes the previous transaction of the same
 * transactional id (or, at a fence, aborts the one an older producer left open), so back-to-back
 * transactions meet it all the time; kafkajs's adapter measured up to ~350 ms per transaction with a 300 ms
 * retry and ~42 ms with 20 ms (kafkajs/transactional-retry-defaults.ts). So a step that meets 51 is run
 * again every 20 ms, up to 10 s, as kafkajs/send-offsets-retry.ts does. Running a step again is safe: a
 * step that met 51 added nothing to the transaction (the library records a partition or group as added only
 * once the coordinator took it).
 */
import type { PlatformaticBaseOptions } from './platformatic-options';
import { findKafkaErrorName, isLostConnection, walkPlatformaticErrors } from './platformatic-errors';
import { isRetriable, toRetrySchedule, type RetrySchedule } from './send-retries';

/** The delay before a retry of a request the coordinator answered with CONCURRENT_TRANSACTIONS. */
export const CONCURRENT_TRANSACTIONS_RETRY_MS = 20;

/**
 * How many times a transactional producer's step is retried unless the user said: kafkajs's default. A
 * transaction must not hang on a lost broker: failed, it is retried by the runtime with a new producer.
 */
export const TRANSACTIONAL_RETRIES = 5;

/** The user's schedule for a transactional producer's steps (TRANSACTIONAL_RETRIES where unset). */
export function toTransactionalSchedule(
  base: Pick<PlatformaticBaseOptions, 'retries' | 'retryDelay'>,
  client: unknown,
  operationId: string,
): RetrySchedule {
  return toRetrySchedule(
    { retries: base.retries ?? TRANSACTIONAL_RETRIES, retryDelay: base.retryDelay },
    client,
    operationId,
  );
}

/** Kafka's answers that say the coordinator a producer knows is not (or no longer) the coordinator. */
const COORDINATOR_GONE: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);

/**
 * Whether a failed coordinator step is worth running again on the same producer. `coordinatorKnown`: the
 * library has looked the coordinator up and will ask no other (a failed lookup is made again). Not after
 * CONCURRENT_TRANSACTIONS: retryingConcurrentTransactions already waited it out.
 */
export function isRetriableAtCoordinator(error: unknown, coordinatorKnown: boolean): boolean {
  if (!isRetriable(error) || isConcurrentTransactions(error)) return false;
  if (!coordinatorKnown) return true;
  return !isLostConnection(error) && findKafkaErrorName(error, COORDINATOR_GONE) === undefined;
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
