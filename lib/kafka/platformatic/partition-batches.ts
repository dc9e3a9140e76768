import type { ConsumedMessage } from './platformatic-records';

/** The messages of one partition, in offset order, as one fetched batch. */
export interface PartitionBatch<M extends ConsumedMessage = ConsumedMessage> {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly M[];
}

/**
 * Messages read from @platformatic/kafka's stream, grouped into one batch per partition, the port's unit: the
 * stream interleaves partitions, but keeps each partition's order, which each batch keeps too. Batches come
 * in the order their partitions first appear.
 */
export class PartitionBatches<M extends ConsumedMessage> {
  readonly #batches = new Map<string, { topic: string; partition: number; messages: M[] }>();

  /** Adds `message` to its partition's batch; `key` is its partition key, which the caller has already made. */
  add(key: string, message: M): void {
    let batch = this.#batches.get(key);
    if (!batch) {
      batch = { topic: message.topic, partition: message.partition, messages: [] };
      this.#batches.set(key, batch);
    }
    batch.messages.push(message);
  }

  toArray(): Array<PartitionBatch<M>> {
    return [...this.#batches.values()];
  }
}
