/**
 * The transactional id of the producer that handles one input partition.
 *
 * Why one per partition: without KIP-447 (TxnOffsetCommit carrying the consumer's member id and generation,
 * which lets the group coordinator fence a zombie by its group generation) the only fence is the
 * transactional id, and kafkajs 2.2.4 has no KIP-447. So each input partition gets its own, derived from the partition alone: the
 * member that owns the partition next uses the same id, and its first InitProducerId fences the previous
 * owner's producer (the pre-KIP-447 pattern of Kafka's Java clients before 2.5). The cost is one producer
 * (one InitProducerId, one coordinator entry) per assigned partition.
 */

/** `${prefix}-${topic}-${partition}`: the same for every member that will ever own the partition. */
export function toPerPartitionTransactionalId(prefix: string, topic: string, partition: number): string {
  return `${prefix}-${topic}-${partition}`;
}
