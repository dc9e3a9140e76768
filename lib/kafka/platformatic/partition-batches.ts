import type { ConsumedMessage } from './platformatic-records';

/** The messages of one partition, in offset order, as one fetched batch. */
export interface PartitionBatch<M extends ConsumedMessage = ConsumedMessage> {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly M[];
}

/**
 * Groups messages read from @platformatic/kafka's stream into one batch per partition, the port's unit: the
 * stream interleaves partitions, but keeps each partition's order, which each batch keeps too. Batches come
 * in the order their partitions first appear.
 */
export function groupIntoPartitionBatches<M extends ConsumedMessage>(
  messages: readonly M[],
): Array<PartitionBatch<M>> {
  const batches = new Map<string, { topic: string; partition: number; messages: M[] }>();
  for (const message of messages) {
    const key = `${message.topic}\u0000${message.partition}`;
    let batch = batches.get(key);
    if (!batch) {
      batch = { topic: message.topic, partition: message.partition, messages: [] };
      batches.set(key, batch);
    }
    batch.messages.push(message);
  }
  return [...batches.values()];
}
