/**
 * The record batches of a Fetch answer that belong to aborted transactions, found as Kafka's Java consumer
 * finds them: from a listed transaction's first offset, a transactional batch of its producer is aborted
 * until that producer's abort marker.
 *
 * Under read_committed the broker sends the records of aborted transactions too, with the list of those
 * transactions (producer id, first offset), for the client to leave out. @platformatic/kafka 1.35's own filter
 * keeps one range per producer, so a second aborted transaction of the same producer in one fetch hides the
 * first, and it leaves a transaction in when its abort marker is not in the same fetch: both handed aborted
 * records to read_committed readers (`spec/integration/read-committed.spec.ts`).
 */
import { CONTROL_BATCH, TRANSACTIONAL_BATCH } from './record-batch-attributes';

/** A control record's type (its key's second int16): 0 is an abort marker, 1 a commit marker. */
const ABORT_MARKER = 0;

/** A transaction the broker says was aborted, as its Fetch answer lists it. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** The fields of a record batch this reads. */
export interface TransactionalBatch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  /** -1 (or absent) where the batch has no producer id: never a transaction's. */
  readonly producerId?: bigint;
  readonly records: ReadonlyArray<{ readonly key: Buffer | null }>;
}

/** The batches of `batches` (one partition's, in offset order) that `aborted` transactions wrote. */
export function findAbortedBatches<B extends TransactionalBatch>(
  batches: readonly B[],
  aborted: readonly AbortedTransaction[],
): Set<B> {
  const found = new Set<B>();
  if (aborted.length === 0) return found;
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const aborting = new Set<bigint>();
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && pending[0].firstOffset <= lastOffset)
      aborting.add(pending.shift()!.producerId);
    if (batch.producerId === undefined || (batch.attributes & TRANSACTIONAL_BATCH) === 0) continue;
    if ((batch.attributes & CONTROL_BATCH) !== 0) {
      if (isAbortMarker(batch)) aborting.delete(batch.producerId);
    } else if (aborting.has(batch.producerId)) {
      found.add(batch);
    }
  }
  return found;
}

/** A Fetch answer as @platformatic/kafka's `consumer.fetch()` gives it (the fields this changes). */
export interface FetchAnswer {
  readonly responses: ReadonlyArray<{
    readonly partitions: ReadonlyArray<{
      readonly abortedTransactions?: readonly AbortedTransaction[];
      readonly records?: ReadonlyArray<TransactionalBatch & { records: unknown[] }>;
    }>;
  }>;
}

/**
 * Empties, in place, the batches of aborted transactions in a Fetch answer: a reader of the answer sees no
 * record of them, yet still moves its position past them (the batches stay, so a fetch of aborted records
 * only is not read again and again).
 */
export function emptyAbortedBatches(answer: FetchAnswer): void {
  for (const topic of answer.responses) {
    for (const partition of topic.partitions) {
      if (!partition.records || !partition.abortedTransactions?.length) continue;
      for (const batch of findAbortedBatches(partition.records, partition.abortedTransactions)) {
        batch.records.length = 0;
      }
    }
  }
}

function isAbortMarker(batch: TransactionalBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}

/** A client with @platformatic/kafka's `fetch(options, callback?)`. */
export interface FetchingClient {
  fetch(options: unknown, callback?: (error: unknown, answer?: FetchAnswer) => void): unknown;
}

/**
 * Makes `client.fetch()`, which @platformatic/kafka's consume stream calls for every fetch, empty the
 * batches of aborted transactions in its answers before anyone reads them (the library's own filter ran
 * already; this leaves out what it let through).
 */
export function leaveOutAbortedRecords(client: FetchingClient): void {
  const fetch = client.fetch.bind(client);
  client.fetch = (options, callback) => {
    if (callback === undefined) {
      return (fetch(options) as Promise<FetchAnswer>).then((answer) => {
        emptyAbortedBatches(answer);
        return answer;
      });
    }
    return fetch(options, (error, answer) => {
      if (!error && answer) emptyAbortedBatches(answer);
      callback(error, answer);
    });
  };
}
