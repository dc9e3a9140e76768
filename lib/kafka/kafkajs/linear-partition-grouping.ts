/**
 * kafkajs 2.2.4 groups a produce request's messages by partition with `[...current, message]` for every
 * message (producer/groupMessagesPerPartition.js), which copies the partition's array each time: quadratic
 * in the messages per partition of one request. The produce queue sends up to 2,000 messages in one request,
 * and there this grouping allocated about half of all the memory an at-least-once `consume()` →
 * `produceTo()` pipeline allocated (bench (i), sampled with V8's heap profiler), with the garbage collection
 * that goes with it. The fix (tulios/kafkajs#1576) was never released; kafkajs-library.ts puts this one in
 * its place.
 */

/** The arguments kafkajs's sendMessages passes (see groupMessagesPerPartition.js). */
interface GroupingInput<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly M[];
  readonly partitioner: (args: {
    topic: string;
    partitionMetadata: readonly unknown[];
    message: M;
  }) => number;
}

/**
 * The messages grouped by the partition the partitioner picks, each group in the order given; `{}` when
 * the topic has no partition metadata. The same object kafkajs's own grouping returns, in one pass.
 */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupingInput<M>): Record<number, M[]> {
  if (partitionMetadata.length === 0) return {};
  const grouped: Record<number, M[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const group = grouped[partition];
    if (group) group.push(message);
    else grouped[partition] = [message];
  }
  return grouped;
}
