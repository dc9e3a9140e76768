/**
 * One partition's part of a Fetch response, as @platformatic/kafka's `consumer.fetch()` returns it, turned
 * into the records a reader hands over and the position it reads from next; under read_committed the
 * records of aborted transactions left out (aborted-batches.ts).
 */
import type { FetchedRecord } from '../kafka-record';
import { findAbortedBatches, type AbortedTransaction } from './aborted-batches';
import { toFetchedRecord } from './platformatic-records';
import { CONTROL_BATCH } from './record-batch-attributes';

export type { AbortedTransaction };

/** The fields of @platformatic/kafka's `RecordsBatch` this reads. */
export interface FetchedRecordsBatch {
  readonly firstOffset: bigint;
  /** Absent where the batch has no producer (-1 on the wire): never a transaction's. */
  readonly producerId?: bigint;
  readonly firstTimestamp: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly records: ReadonlyArray<{
    readonly offsetDelta: number;
    readonly timestampDelta: bigint;
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: ReadonlyArray<readonly [Buffer | null, Buffer | null]>;
  }>;
}

export interface FetchedPartition {
  /** The records at or after the fetch position, in offset order; control batches left out. */
  readonly records: FetchedRecord[];
  /**
   * The offset after the last one the fetch covered (records, transaction markers and aborted records
   * alike): where the partition is read from next once every record is handled. Undefined for a fetch that
   * brought nothing.
   */
  readonly next: bigint | undefined;
}

/**
 * The records of `batches` at or after `from` (a fetch returns whole batches, so the first one may start
 * before the position asked for), and the position after them.
 */
export function readFetchedPartition(
  topic: string,
  partition: number,
  batches: readonly FetchedRecordsBatch[] | undefined,
  from: bigint,
  aborted: readonly AbortedTransaction[] = [],
): FetchedPartition {
  if (!batches || batches.length === 0) return { records: [], next: undefined };
  const records: FetchedRecord[] = [];
  const abortedBatches = findAbortedBatches(batches, aborted);
  for (const batch of batches) {
    if ((batch.attributes & CONTROL_BATCH) !== 0 || abortedBatches.has(batch)) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < from) continue;
      records.push(
        toFetchedRecord({
          topic,
          partition,
          offset,
          timestamp: batch.firstTimestamp + record.timestampDelta,
          key: record.key,
          value: record.value,
          headers: new Map(record.headers.map(([name, value]) => [name ?? '', value ?? undefined])),
        }),
      );
    }
  }
  const last = batches[batches.length - 1];
  const next = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
  return { records, next: next > from ? next : from };
}
