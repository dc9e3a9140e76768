/**
 * A producer on @platformatic/kafka. Keyed records go where kafkajs and Kafka's Java client put them (murmur2
 * of the key, positive), so a topic written by both drivers keeps each key on one partition; records without
 * a key go round robin per topic. The partitioner runs here, on metadata fetched before the send, so the
 * adapter knows each record's partition (produceTo() reports where each record was written).
 */
import type { Producer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { OutgoingRecord } from '../kafka-record';
import type { DriverProducer, DriverProducerEvent } from '../kafka-driver';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import type { ConnectSteps } from './connect-steps';
import { toKafkaRefusal } from './kafka-refusal';
import { toPlatformaticAuthorizationFailure } from './platformatic-authorization';
import { isLostConnection } from './platformatic-errors';
import type { PlatformaticKafka } from './platformatic-library';
import {
  toPlatformaticCompression,
  type PlatformaticBaseOptions,
  type PlatformaticProducerOptions,
} from './platformatic-options';
import { toMessageToSend, type MessageToSend } from './platformatic-records';

type NativeProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** Kafka's acknowledgement from every in-sync replica: kafkajs's default, and what idempotence needs. */
const ACKS_ALL = -1;

export interface PlatformaticProducerSetup {
  readonly library: PlatformaticKafka;
  readonly base: PlatformaticBaseOptions;
  readonly options: PlatformaticProducerOptions;
  /** The driver's connect steps, shared by its producers and consumers. */
  readonly steps: ConnectSteps;
}

export class PlatformaticProducer implements DriverProducer {
  readonly #setup: PlatformaticProducerSetup;
  readonly #listeners = new Set<(event: DriverProducerEvent) => void>();
  readonly #roundRobin = new Map<string, number>();
  /** The partition each record went to on its last send: a re-send keeps it (see DriverProducer.partitionOf). */
  readonly #partitions = new WeakMap<OutgoingRecord, number>();
  #native: NativeProducer | undefined;

  constructor(setup: PlatformaticProducerSetup) {
    this.#setup = setup;
  }

  /** The current @platformatic/kafka `Producer` (a new one after each connect that follows a disconnect). */
  get native(): unknown {
    return this.#native;
  }

  async connect(): Promise<void> {
    await this.#setup.steps.connect(async () => {
      await this.#producer().metadata({ topics: [] });
    });
  }

  async disconnect(): Promise<void> {
    const native = this.#native;
    this.#native = undefined;
    await native?.close();
  }

  async sendBatch(request: ProduceRequest): Promise<WrittenPartition[]> {
    const producer = this.#producer();
    const compression = toPlatformaticCompression(request.compression);
    try {
      const counts = await this.#partitionCounts(producer, request);
      const messages = request.topicMessages.flatMap(({ topic, messages: records }) =>
        records.flatMap((record) => {
          const message = toMessageToSend(topic, record);
          const count = counts.get(topic) ?? 1;
          if (message.partition === undefined) {
            message.partition = this.#choosePartition(record, message, count);
          } else if (message.partition >= count && counts.has(topic)) {
            // @platformatic/kafka would write it to `partition % count`; kafkajs writes it nowhere, and the
            // runtime tells a partition the topic lacks by its absence from what was written.
            return [];
          }
          return [message];
        }),
      );
      if (messages.length === 0) return [];
      const result = await producer.send({
        messages,
        acks: request.acks ?? ACKS_ALL,
        ...(compression === undefined ? {} : { compression }),
      });
      return (result.offsets ?? []).map(({ topic, partition, offset }) => ({
        topicName: topic,
        partition,
        errorCode: 0,
        baseOffset: offset.toString(),
      }));
    } catch (error) {
      // @platformatic/kafka emits nothing when a producer loses its brokers: the failed send is the sign.
      if (isLostConnection(error)) {
        for (const listener of this.#listeners) listener({ type: 'lost', error });
      }
      // An authorization refusal is raised as kafkajs's adapter raises it (RXK_NOT_AUTHORIZED naming the
      // topic the broker refused), so the runtime gives up that send for good and leaves the others be.
      const topics = [...new Set(request.topicMessages.map(({ topic }) => topic))];
      throw (
        toPlatformaticAuthorizationFailure(error, { topics }, this.#setup.steps.target) ??
        toKafkaRefusal(error, this.#setup.library)
      );
    }
  }

  partitionOf(record: OutgoingRecord): number | undefined {
    return this.#partitions.get(record);
  }

  onEvent(listener: (event: DriverProducerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #producer(): NativeProducer {
    this.#native ??= new this.#setup.library.Producer({
      ...this.#setup.base,
      ...this.#setup.options,
    }) as NativeProducer;
    return this.#native;
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
      partition = this.#setup.library.compatibilityPartitioner(message, message.key) % count;
    } else {
      partition = (this.#roundRobin.get(message.topic) ?? 0) % count;
      this.#roundRobin.set(message.topic, partition + 1);
    }
    this.#partitions.set(record, partition);
    return partition;
  }
}
