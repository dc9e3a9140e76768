import type { FetchedRecordsBatch } from '../../../../lib/kafka/platformatic/fetched-partition';
import {
  CONTROL_BATCH,
  TRANSACTIONAL_BATCH,
} from '../../../../lib/kafka/platformatic/record-batch-attributes';

/** A record batch as a Fetch answer holds it; its records an array that may be emptied in place. */
export interface ParsedRecordsBatch extends FetchedRecordsBatch {
  readonly records: Array<FetchedRecordsBatch['records'][number]>;
}

/**
 * A record batch as @platformatic/kafka's Fetch parses it: `count` records from `firstOffset`, values
 * `v<offset>`, timestamps 1,000 + their offset delta.
 */
export function recordsBatch(firstOffset: number, count: number, attributes = 0): ParsedRecordsBatch {
  return {
    firstOffset: BigInt(firstOffset),
    firstTimestamp: 1_000n,
    lastOffsetDelta: count - 1,
    attributes,
    records: Array.from({ length: count }, (_, delta) => ({
      offsetDelta: delta,
      timestampDelta: BigInt(delta),
      key: null,
      value: Buffer.from(`v${firstOffset + delta}`),
      headers: [],
    })),
  };
}

/** A batch of `count` records from `firstOffset` that `producerId` wrote in a transaction. */
export function transactionalBatch(
  firstOffset: number,
  count: number,
  producerId: bigint,
): ParsedRecordsBatch {
  return { ...recordsBatch(firstOffset, count, TRANSACTIONAL_BATCH), producerId };
}

/** A transaction marker of `producerId` at `offset`: type 0 aborts, 1 commits. */
export function transactionMarker(offset: number, producerId: bigint, type: 0 | 1): ParsedRecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const batch = recordsBatch(offset, 1, TRANSACTIONAL_BATCH | CONTROL_BATCH);
  return { ...batch, producerId, records: [{ ...batch.records[0], key }] };
}
