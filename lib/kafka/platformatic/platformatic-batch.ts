import type { FetchedBatch, TopicPartitionOffsets } from '../fetched-batch';
import type { FetchedRecord } from '../kafka-record';
import type { ResolvedOffsets } from './resolved-offsets';

/** What a batch asks of the consumer that read it. */
export interface BatchOwner {
  readonly offsets: ResolvedOffsets;
  /** The membership generation as the consumer counts it: a join, a rebalance or a restart moves it on. */
  readonly generation: number;
  isRunning(): boolean;
  /** The seeks of each partition so far: a seek makes batches of that partition read before it stale. */
  seeksOf(topic: string, partition: number): number;
  commit(offsets: TopicPartitionOffsets): Promise<void>;
}

/**
 * One partition's records from @platformatic/kafka's stream, with the controls of the port's FetchedBatch.
 * @platformatic/kafka heartbeats by itself, in the background; a batch is stale once its consumer's
 * membership changed or its partition was seeked.
 */
export class PlatformaticBatch implements FetchedBatch {
  readonly batch: FetchedBatch['batch'];
  readonly #owner: BatchOwner;
  readonly #generation: number;
  readonly #seeks: number;
  /** The epoch of the owner's resolved offsets this batch was read in: it resolves nothing in a later one. */
  readonly #offsetsEpoch: number;

  /**
   * @param highWatermark the partition's end offset, where the fetch reported it (a reader's own Fetch).
   * The consume stream hands records over without it: the batch's own end is the best known lower bound
   * then, so the lag shown is the records still in flight.
   */
  constructor(
    topic: string,
    partition: number,
    messages: readonly FetchedRecord[],
    owner: BatchOwner,
    highWatermark?: bigint,
  ) {
    const last = messages[messages.length - 1];
    const end = highWatermark ?? (last === undefined ? 0n : BigInt(last.offset) + 1n);
    this.batch = { topic, partition, highWatermark: end.toString(), messages };
    this.#owner = owner;
    this.#generation = owner.generation;
    this.#seeks = owner.seeksOf(topic, partition);
    this.#offsetsEpoch = owner.offsets.epoch;
    this.resolveOffset = this.resolveOffset.bind(this);
    this.heartbeat = this.heartbeat.bind(this);
  }

  resolveOffset(offset: string): void {
    this.#owner.offsets.resolve(this.batch.topic, this.batch.partition, offset, this.#offsetsEpoch);
  }

  heartbeat(): Promise<void> {
    return Promise.resolve();
  }

  isRunning(): boolean {
    return this.#owner.isRunning();
  }

  isStale(): boolean {
    return (
      this.#owner.generation !== this.#generation ||
      this.#owner.seeksOf(this.batch.topic, this.batch.partition) !== this.#seeks
    );
  }

  uncommittedOffsets(): TopicPartitionOffsets {
    return this.#owner.offsets.uncommitted();
  }

  async commitOffsetsIfNecessary(offsets?: TopicPartitionOffsets): Promise<void> {
    const due = offsets ?? this.#owner.offsets.uncommitted();
    if (due.topics.length === 0) return;
    await this.#owner.commit(due);
  }
}
