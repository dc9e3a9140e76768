/**
 * The kafkajs adapter of the port's transactional producer, with the workarounds kafkajs 2.2.4 needs for
 * exactly-once processing against Kafka 4 (each in its own file, named for it): the 20 ms first retry
 * (transactional-retry-defaults.ts), fencing at connect (fence-at-connect.ts), `sendOffsets` retried on
 * CONCURRENT_TRANSACTIONS (send-offsets-retry.ts), and fencing errors as RXK_PRODUCER_FENCED
 * (producer-fenced.ts).
 */
import type { Kafka, Producer, ProducerConfig, Transaction } from 'kafkajs';
import type { TopicPartitionOffsets } from '../fetched-batch';
import type { DriverTransaction, DriverTransactionalProducer } from '../kafka-driver';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import { withAuthorization, type AuthorizationContext } from './authorization-failure';
import type { ConnectTarget } from '../connect-failure';
import { toConnectFailure } from './kafkajs-connect-failure';
import { fenceOlderProducers } from './fence-at-connect';
import { toProducerFenced } from './producer-fenced';
import { sendOffsetsRetrying } from './send-offsets-retry';
import { toTransactionalProducerConfig } from './transactional-retry-defaults';

export class KafkajsTransactionalProducer implements DriverTransactionalProducer {
  readonly native: Producer;
  readonly transactionalId: string;
  readonly #target: ConnectTarget;
  readonly #authorization: AuthorizationContext;

  constructor(
    kafka: Kafka,
    config: ProducerConfig,
    transactionalId: string,
    target: ConnectTarget,
    authorization: AuthorizationContext,
  ) {
    this.native = kafka.producer(toTransactionalProducerConfig(config, transactionalId));
    this.transactionalId = transactionalId;
    this.#target = target;
    this.#authorization = authorization;
  }

  async connect(): Promise<void> {
    try {
      await this.native.connect();
    } catch (error) {
      throw toConnectFailure(error, this.#target) ?? error;
    }
    // The transactional id is first checked here: fencing looks up its coordinator.
    await this.#authorized(() => this.#mapped(() => fenceOlderProducers(this.native)));
  }

  async transaction(): Promise<DriverTransaction> {
    const transaction = await this.#authorized(() => this.#mapped(() => this.native.transaction()));
    return new KafkajsTransaction(transaction, (work) => this.#mapped(work));
  }

  disconnect(): Promise<void> {
    return this.native.disconnect();
  }

  #authorized<T>(work: () => Promise<T>): Promise<T> {
    return withAuthorization(work, { transactionalId: this.transactionalId }, this.#authorization);
  }

  async #mapped<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toProducerFenced(error, this.transactionalId);
    }
  }
}

class KafkajsTransaction implements DriverTransaction {
  readonly #transaction: Transaction;
  readonly #mapped: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(transaction: Transaction, mapped: <T>(work: () => Promise<T>) => Promise<T>) {
    this.#transaction = transaction;
    this.#mapped = mapped;
  }

  sendBatch(request: ProduceRequest): Promise<WrittenPartition[]> {
    return this.#mapped(() => this.#transaction.sendBatch(request));
  }

  async sendOffsets(groupId: string, offsets: TopicPartitionOffsets): Promise<void> {
    const topics = offsets.topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({ partition, offset })),
    }));
    await this.#mapped(() =>
      sendOffsetsRetrying(() => this.#transaction.sendOffsets({ consumerGroupId: groupId, topics })),
    );
  }

  commit(): Promise<void> {
    return this.#mapped(() => this.#transaction.commit());
  }

  abort(): Promise<void> {
    return this.#mapped(() => this.#transaction.abort());
  }
}
