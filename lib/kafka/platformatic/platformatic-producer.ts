/**
 * A producer on @platformatic/kafka. Where its records go is partition-placement.ts's: the same partitions
 * kafkajs and Kafka's Java client choose, decided here so the adapter knows each record's partition.
 */
import type { OutgoingRecord } from '../kafka-record';
import type { DriverProducer, DriverProducerEvent } from '../kafka-driver';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import type { ConnectSteps } from './connect-steps';
import { toKafkaRefusal } from './kafka-refusal';
import { PartitionPlacement, toWrittenPartitions, type NativeProducer } from './partition-placement';
import { toPlatformaticAuthorizationFailure } from './platformatic-authorization';
import { isLostConnection } from './platformatic-errors';
import type { PlatformaticKafka } from './platformatic-library';
import {
  NO_LIBRARY_RETRIES,
  retryOnFreshMetadata,
  sendUnwrittenAgain,
  toRetrySchedule,
  type RetryOnFreshMetadata,
} from './send-retries';
import {
  toPlatformaticCompression,
  type PlatformaticBaseOptions,
  type PlatformaticProducerOptions,
} from './platformatic-options';

/** Kafka's acknowledgement from every in-sync replica: kafkajs's default, and what idempotence needs. */
export const ACKS_ALL = -1;

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
  readonly #placement: PartitionPlacement;
  #native: NativeProducer | undefined;

  constructor(setup: PlatformaticProducerSetup) {
    this.#setup = setup;
    this.#placement = new PartitionPlacement(setup.library);
  }

  /** The current @platformatic/kafka `Producer` (a new one after each connect that follows a disconnect). */
  get native(): unknown {
    return this.#native;
  }

  async connect(): Promise<void> {
    await this.#setup.steps.connect(async () => {
      const producer = this.#producer();
      // The library retries nothing on this producer (see send-retries.ts): the connect keeps its schedule.
      await retryOnFreshMetadata(() => producer.metadata({ topics: [] }), this.#retry(producer, 'metadata'));
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
      const retry = this.#retry(producer, 'produce');
      const messages = await retryOnFreshMetadata(() => this.#placement.place(producer, request), retry);
      if (messages.length === 0) return [];
      // Each retry a send of its own, to the leaders of the moment (see send-retries.ts).
      const result = await sendUnwrittenAgain(
        messages,
        (unwritten) =>
          producer.send({
            messages: unwritten,
            acks: request.acks ?? ACKS_ALL,
            ...(compression === undefined ? {} : { compression }),
          }),
        retry,
      );
      return toWrittenPartitions(result);
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
    return this.#placement.partitionOf(record);
  }

  onEvent(listener: (event: DriverProducerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #producer(): NativeProducer {
    this.#native ??= new this.#setup.library.Producer({
      ...this.#setup.base,
      ...this.#setup.options,
      // Its own retries would all go to the leader a send began with, dead or not: see send-retries.ts.
      retries: NO_LIBRARY_RETRIES,
    }) as NativeProducer;
    return this.#native;
  }

  /** The user's retry schedule, run by the adapter on `producer`'s metadata fetched again each time. */
  #retry(producer: NativeProducer, operationId: string): RetryOnFreshMetadata {
    return {
      schedule: toRetrySchedule(this.#setup.base, producer, operationId),
      forgetMetadata: () => producer.clearMetadata(),
    };
  }
}
