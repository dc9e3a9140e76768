import type { OutgoingRecord } from '../kafka/kafka-record';
import type { WrittenPartition } from '../kafka/record-producer';
import { RxKafkaError } from '../errors';

/** Where Kafka wrote one record. */
export interface WrittenOffset {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a decimal string (int64). */
  readonly offset: string;
}

/**
 * Each entry's messages' offsets after one produce request, or undefined for an entry where one is not
 * known. Kafka answers one base offset per partition; the records of a partition take the offsets after it
 * in the order the request carried them, which is the order of `entries` and of their messages (kafkajs
 * groups a request's messages by partition without reordering them, produce/v3/request.js). Every entry
 * is counted, also those that did not ask, since they share partitions with those that did.
 */
export function toWrittenOffsets(
  entries: ReadonlyArray<{ readonly topic: string; readonly messages: readonly OutgoingRecord[] }>,
  response: readonly WrittenPartition[] | undefined,
  partitionOf: (message: OutgoingRecord) => number | undefined,
): Array<WrittenOffset[] | undefined> {
  const next = new Map<string, bigint>();
  for (const { topicName, partition, baseOffset } of response ?? []) {
    if (baseOffset !== undefined && Number(baseOffset) >= 0) {
      next.set(`${topicName}/${partition}`, BigInt(baseOffset));
    }
  }
  return entries.map((entry) => {
    let complete = true;
    const written = entry.messages.map((message) => {
      const explicit = message.partition;
      const partition = explicit !== undefined && explicit !== null ? explicit : partitionOf(message);
      const slot = `${entry.topic}/${partition}`;
      const offset = partition === undefined ? undefined : next.get(slot);
      if (partition === undefined || offset === undefined) {
        complete = false;
        return { topic: entry.topic, partition: partition ?? -1, offset: '-1' };
      }
      next.set(slot, offset + 1n);
      return { topic: entry.topic, partition, offset: offset.toString() };
    });
    return complete ? written : undefined;
  });
}

/** The partitions a produce response names, by topic: built once per response, not once per message. */
export function toWrittenPartitions(response: readonly WrittenPartition[]): Map<string, Set<number>> {
  const written = new Map<string, Set<number>>();
  for (const { topicName, partition } of response) {
    let partitions = written.get(topicName);
    if (!partitions) written.set(topicName, (partitions = new Set()));
    partitions.add(partition);
  }
  return written;
}

/** The error for records Kafka acknowledged without saying where it wrote them. */
export function createNoOffsetError(topic: string): RxKafkaError {
  return new RxKafkaError(
    'RXK_SEND_FAILED',
    `producing to ${topic}: the records were acknowledged, but Kafka answered no offset for them ` +
      '(send.acks 0 gets no answer; offsets need acks 1 or -1)',
    { topic, retriable: false },
  );
}
