/**
 * Where the records of a produce request go, for the plain and the transactional producer alike. Keyed records
 * go where kafkajs and Kafka's Java client put them (murmur2 of the key, positive), so a topic written by
 * both drivers keeps each key on one partition; records without a key go round robin per topic. The
 * partitioner runs here, on metadata fetched before the send, so the adapter knows each record's partition
 * (produceTo() reports where each record was written).
 */
import type { Producer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { OutgoingRecord } from '../kafka-record';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import type { PlatformaticKafka } from './platformatic-library';
import { toMessageToSend, type MessageToSend } from './platformatic-records';

export type NativeProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

export class PartitionPlacement {
  readonly #library: PlatformaticKafka;
  readonly #roundRobin = new Map<string, number>();
  /** The partition each record went to on its last send: a re-send keeps it (see DriverProducer.partitionOf). */
  readonly #partitions = new WeakMap<OutgoingRecord, number>();

  constructor(library: PlatformaticKafka) {
    this.#library = library;
  }

  /**
   * The request's records as messages to send, each with its partition. A record addressed to a partition
   * the topic lacks is left out: @platformatic/kafka would write it to `partition % count`, kafkajs writes it
   * nowhere, and the runtime tells a partition the topic lacks by its absence from what was written.
   */
  async place(producer: NativeProducer, request: ProduceRequest): Promise<MessageToSend[]> {
    const counts = await this.#partitionCounts(producer, request);
    return request.topicMessages.flatMap(({ topic, messages: records }) =>
      records.flatMap((record) => {
        const message = toMessageToSend(topic, record);
        const count = counts.get(topic) ?? 1;
        if (message.partition === undefined) {
          message.partition = this.#choosePartition(record, message, count);
        } else if (message.partition >= count && counts.has(topic)) {
          return [];
        }
        return [message];
      }),
    );
  }

  /** The partition `record` went to when it was last placed, if it is remembered. */
  partitionOf(record: OutgoingRecord): number | undefined {
    return this.#partitions.get(record);
  }

  /** Each topic's partition count, from the producer's metadata (fetched for topics it does not know yet). */
  async #partitionCounts(producer: NativeProducer, request: ProduceRequest): Promise<Map<string, number>> {
    const topics = [...new Set(request.topicMessages.map(({ topic }) => topic))];
    const known = producer.currentMetadata?.topics;
    const beyondKnown = request.topicMessages.some(({ topic, messages }) =>
      messages.some(
        ({ partition }) =>
          typeof partition === 'number' && partition >= (known?.get(topic)?.partitionsCount ?? 0),
      ),
    );
    // A record addressed beyond the partitions known so far may name one added since: ask the cluster again.
    const metadata =
      known && topics.every((topic) => known.has(topic)) && !beyondKnown
        ? producer.currentMetadata
        : await producer.metadata({ topics, forceUpdate: beyondKnown });
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const count = metadata?.topics.get(topic)?.partitionsCount;
      if (count !== undefined && count > 0) counts.set(topic, count);
    }
    return counts;
  }

  /** A re-sent record keeps its partition; a keyed one goes where kafkajs puts it; the others round robin. */
  #choosePartition(record: OutgoingRecord, message: MessageToSend, count: number): number {
    const remembered = this.#partitions.get(record);
    if (remembered !== undefined && remembered < count) return remembered;
    let partition: number;
    if (message.key !== undefined) {
      partition = this.#library.compatibilityPartitioner(message, message.key) % count;
    } else {
      partition = (this.#roundRobin.get(message.topic) ?? 0) % count;
      this.#roundRobin.set(message.topic, partition + 1);
    }
    this.#partitions.set(record, partition);
    return partition;
  }
}

/** What @platformatic/kafka's send result says was written, as the port's written partitions. */
export function toWrittenPartitions(result: {
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
}): WrittenPartition[] {
  return (result.offsets ?? []).map(({ topic, partition, offset }) => ({
    topicName: topic,
    partition,
    errorCode: 0,
    baseOffset: offset.toString(),
  }));
}
