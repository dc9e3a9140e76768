/**
 * The client's table of reply partitions: for each reply topic, the one partition this instance asks
 * servers to reply to. It mirrors NestJS `ClientKafka.consumerAssignments` (client/client-kafka.ts
 * `setConsumerAssignments`), so the same table feeds both the `kafka_replyPartition` header and the
 * `previousAssignment` userData of the `NestReplyPartitionAssigner` protocol.
 */
export class ReplyAssignments {
  readonly #minPartitionByTopic = new Map<string, number>();

  /**
   * Replaces the table with a new group assignment (kafkajs `consumer.group_join` `memberAssignment`).
   * Each topic with partitions maps to its lowest partition; a topic with an empty list, or missing from
   * the new assignment, is removed, because its old partition may now belong to another member and
   * replies sent there would reach someone else.
   */
  update(memberAssignment: Readonly<Record<string, readonly number[]>>): void {
    this.#minPartitionByTopic.clear();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      // An empty list must not become Math.min() = Infinity: serialized as null in userData, it
      // crashed Nest leaders (nestjs/nest#11688).
      if (partitions.length > 0) this.#minPartitionByTopic.set(topic, Math.min(...partitions));
    }
  }

  /** The partition replies for `replyTopic` should go to, or `undefined` when none is assigned. */
  get(replyTopic: string): number | undefined {
    return this.#minPartitionByTopic.get(replyTopic);
  }

  /** A fresh `{ [replyTopic]: minPartition }` object, the `previousAssignment` sent in the join metadata. */
  toPreviousAssignment(): Record<string, number> {
    return Object.fromEntries(this.#minPartitionByTopic);
  }

  /** Forgets every assignment (after leaving the group, so a later join claims nothing stale). */
  clear(): void {
    this.#minPartitionByTopic.clear();
  }
}
