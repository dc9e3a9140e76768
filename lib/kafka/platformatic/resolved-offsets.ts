import type { TopicPartitionOffsets } from '../fetched-batch';

/**
 * The offsets the runtime resolved and those Kafka took, per partition ("the next offset to read"): what a
 * batch's `uncommittedOffsets()` reports. @platformatic/kafka keeps its own only for its autocommit, which
 * rxkafka turns off.
 *
 * Each `clear()` (a join, a restart) begins a new epoch. A batch read before it may still have records in
 * flight; their offsets belong to the member's previous generation: a partition now another member's would
 * be committed back below that member's commits, and one kept is read again from the group's committed
 * offset anyway. So a batch resolves only in the epoch it was read in.
 */
export class ResolvedOffsets {
  readonly #resolved = new Map<string, Map<number, bigint>>();
  readonly #committed = new Map<string, Map<number, bigint>>();
  #epoch = 0;

  /** The epoch offsets resolved now belong to; `clear()` begins the next one. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * The record at `offset` is handled: the next offset to read is the one after it. Ignored when `epoch`
   * (the one its batch was read in) has ended.
   */
  resolve(topic: string, partition: number, offset: string, epoch = this.#epoch): void {
    if (epoch !== this.#epoch) return;
    const next = BigInt(offset) + 1n;
    const partitions = getOrCreate(this.#resolved, topic);
    const current = partitions.get(partition);
    if (current === undefined || next > current) partitions.set(partition, next);
  }

  /** The highest resolved offset of a partition (the record's, not the next one), if any. */
  lastResolved(topic: string, partition: number): bigint | undefined {
    const next = this.#resolved.get(topic)?.get(partition);
    return next === undefined ? undefined : next - 1n;
  }

  /** Resolved offsets Kafka has not taken yet. */
  uncommitted(): TopicPartitionOffsets {
    const topics = [...this.#resolved].flatMap(([topic, partitions]) => {
      const committed = this.#committed.get(topic);
      const due = [...partitions]
        .filter(([partition, next]) => committed?.get(partition) !== next)
        .map(([partition, next]) => ({ partition, offset: next.toString() }));
      return due.length === 0 ? [] : [{ topic, partitions: due }];
    });
    return { topics };
  }

  /** Kafka took these offsets. */
  committed(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): void {
    for (const { topic, partition, offset } of offsets) {
      getOrCreate(this.#committed, topic).set(partition, BigInt(offset));
    }
  }

  /**
   * A seek moved the partition to `next`: as in kafkajs, the next commit names it, below or above what was
   * resolved before.
   */
  seek(topic: string, partition: number, next: string): void {
    getOrCreate(this.#resolved, topic).set(partition, BigInt(next));
  }

  clear(): void {
    this.#epoch += 1;
    this.#resolved.clear();
    this.#committed.clear();
  }
}

function getOrCreate(map: Map<string, Map<number, bigint>>, topic: string): Map<number, bigint> {
  let partitions = map.get(topic);
  if (!partitions) {
    partitions = new Map();
    map.set(topic, partitions);
  }
  return partitions;
}
