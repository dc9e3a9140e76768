import type { FetchedRecordsBatch } from '../../../../lib/kafka/platformatic/fetched-partition';

/**
 * A record batch as @platformatic/kafka's Fetch parses it: `count` records from `firstOffset`, values
 * `v<offset>`, timestamps 1,000 + their offset delta.
 */
export function recordsBatch(firstOffset: number, count: number, attributes = 0): FetchedRecordsBatch {
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
