import type { FetchedRecord } from './kafka-record';

/** Offsets to commit, by topic and partition ("the next offset to read", as Kafka stores it). */
export interface TopicPartitionOffsets {
  readonly topics: ReadonlyArray<{
    readonly topic: string;
    readonly partitions: ReadonlyArray<{ readonly partition: number; readonly offset: string }>;
  }>;
}

/**
 * One fetched batch of one partition and the controls that go with it, as a consumer adapter hands it to
 * the runtime (kafkajs's `EachBatchPayload` has this shape). The runtime resolves each offset only once the
 * record is handled and its replies are acknowledged; the adapter commits resolved offsets when asked.
 */
export interface FetchedBatch {
  readonly batch: {
    readonly topic: string;
    readonly partition: number;
    /** The partition's end offset when the batch was fetched: lag is `highWatermark` − the next offset. */
    readonly highWatermark: string;
    readonly messages: readonly FetchedRecord[];
    /**
     * The last offset the fetch covered, also of records not in `messages` (transaction markers, aborted
     * records): kafkajs moves its fetch position past them. Optional: a driver without it leaves readers
     * that wait for an end offset to the `records.skipped` event.
     */
    lastOffset?(): string;
  };
  /**
   * Marks `offset` handled: the next fetch starts after it, and the next commit may cover it unless the
   * committer holds the partition lower (records of returned batches whose replies are still due).
   */
  resolveOffset(offset: string): void;
  /** Tells the group coordinator this member is alive; rejects when a rebalance revokes the batch. */
  heartbeat(): Promise<void>;
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** True once a rebalance or a seek made this batch's records someone else's or out of date. */
  isStale(): boolean;
  /** Resolved offsets not committed yet. */
  uncommittedOffsets(): TopicPartitionOffsets;
  /** Commits `offsets` (or every resolved offset) if the adapter's commit policy says it is time. */
  commitOffsetsIfNecessary(offsets?: TopicPartitionOffsets): Promise<void>;
}
