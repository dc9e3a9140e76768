/**
 * Partitions as @platformatic/kafka's stream names them in its offset maps (`topic:partition`; a topic name
 * has no ':'), and back into the shapes of the driver port.
 */
import type { TopicPartitionOffsets } from '../fetched-batch';

/** The key @platformatic/kafka's stream uses for a partition in its offset maps. */
export function toPartitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The topic and partition of a partition key. */
export function fromPartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf(':');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/** Partition keys (`topic:partition`; a topic name has no ':') as an assignment, topic by topic. */
export function toAssignment(keys: readonly string[]): Record<string, number[]> {
  const assignment: Record<string, number[]> = {};
  for (const key of keys) {
    const { topic, partition } = fromPartitionKey(key);
    (assignment[topic] ??= []).push(partition);
  }
  for (const partitions of Object.values(assignment)) partitions.sort((a, b) => a - b);
  return assignment;
}

/** Committed offsets, grouped by topic as the port's TopicPartitionOffsets. */
export function toTopicPartitionOffsets(
  offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>,
): TopicPartitionOffsets {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
  }
  return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
}
