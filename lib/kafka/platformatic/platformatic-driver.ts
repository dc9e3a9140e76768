/**
 * The @platformatic/kafka adapter of the driver port (lib/kafka/kafka-driver.ts): group consumers over its
 * consume stream, readers without a group over its Fetch, producers, transactional producers (exactly-once processing) and the cluster questions
 * replay and projections ask.
 */
import type { KafkaConfig } from '../kafkajs/kafkajs-types';
import { checkTransactionalIdAccess } from '../access-check-transactional-id';
import type { Logger } from '../../logger';
import type {
  ConsumerSettings,
  DriverCapabilities,
  DriverConsumer,
  DriverProducer,
  DriverTransactionalProducer,
  KafkaDriver,
  ProducerSettings,
  ReaderSettings,
  SendErrorKind,
  TransactionalProducerSettings,
} from '../kafka-driver';
import type { ConnectTarget } from '../connect-failure';
import { ConnectSteps } from './connect-steps';
import { PlatformaticAdmin } from './platformatic-admin';
import { isUnreachableBroker } from './platformatic-connect-failure';
import { PlatformaticConsumer } from './platformatic-consumer';
import { classifySendError } from './platformatic-errors';
import { loadPlatformatic, type PlatformaticKafka } from './platformatic-library';
import {
  toPlatformaticBaseOptions,
  toPlatformaticConsumerOptions,
  toPlatformaticProducerOptions,
  toPlatformaticTransactionalOptions,
  type PlatformaticBaseOptions,
} from './platformatic-options';
import { PlatformaticProducer } from './platformatic-producer';
import { PlatformaticReader } from './platformatic-reader';
import { PlatformaticTransactionalProducer } from './platformatic-transactional-producer';
import { probeBrokers } from './probe-brokers';

/**
 * The @platformatic/kafka driver for the cluster and client that `config` (kafkajs-shaped, as rxkafka's
 * options carry it) names.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` when @platformatic/kafka is not installed, or a client option
 * has no equivalent in it.
 */
export function createPlatformaticDriver(config: KafkaConfig, logger: Logger): KafkaDriver {
  const base = toPlatformaticBaseOptions(config as unknown as Record<string, unknown>);
  const library = loadPlatformatic();
  // What a connect failure's message may name: never the password.
  const target: ConnectTarget = {
    clientId: base.clientId,
    brokers: base.bootstrapBrokers,
    ssl: config.ssl,
    sasl: config.sasl,
  };
  const steps = new ConnectSteps(target, () => probeBrokers(library, base, isUnreachableBroker));
  return new PlatformaticDriver(library, base, steps, logger);
}

class PlatformaticDriver implements KafkaDriver {
  // The join happens inside consume() (its stream starts after it); "may join later" is the safe side.
  readonly capabilities: DriverCapabilities = Object.freeze({
    joinsAfterConsume: true,
    pausesPartitions: true,
  });
  readonly native: PlatformaticKafka;
  readonly #base: PlatformaticBaseOptions;
  readonly #logger: Logger;
  readonly #admin: PlatformaticAdmin;
  readonly #steps: ConnectSteps;

  constructor(
    library: PlatformaticKafka,
    base: PlatformaticBaseOptions,
    steps: ConnectSteps,
    logger: Logger,
  ) {
    this.native = library;
    this.#base = base;
    this.#steps = steps;
    this.#logger = logger;
    this.#admin = new PlatformaticAdmin(library, base);
  }

  createProducer(settings: ProducerSettings): DriverProducer {
    const options = toPlatformaticProducerOptions(
      (settings.librarySettings ?? {}) as Record<string, unknown>,
    );
    return new PlatformaticProducer({ library: this.native, base: this.#base, options, steps: this.#steps });
  }

  createConsumer(settings: ConsumerSettings): DriverConsumer {
    const options = toPlatformaticConsumerOptions(
      (settings.librarySettings ?? {}) as Record<string, unknown>,
    );
    // NestJS's reply partition assigner (settings.replyPartitions) keeps a client's reply partitions across
    // rebalances; @platformatic/kafka's own assigner spreads them instead, which serves one client instance
    // per reply topic and loses in-flight replies when instances come and go.
    return new PlatformaticConsumer({
      library: this.native,
      base: this.#base,
      groupId: settings.groupId,
      options,
      logger: this.#logger,
      groupProtocol: settings.groupProtocol,
      steps: this.#steps,
      listTopics: () => this.#admin.listTopics(),
    });
  }

  createReader(settings: ReaderSettings): DriverConsumer {
    const options = toPlatformaticConsumerOptions(
      (settings.librarySettings ?? {}) as Record<string, unknown>,
    );
    return new PlatformaticReader({
      library: this.native,
      base: this.#base,
      options,
      logger: this.#logger,
      steps: this.#steps,
      listTopics: () => this.#admin.listTopics(),
    });
  }

  createTransactionalProducer(settings: TransactionalProducerSettings): DriverTransactionalProducer {
    const options = toPlatformaticTransactionalOptions(
      (settings.librarySettings ?? {}) as Record<string, unknown>,
    );
    return new PlatformaticTransactionalProducer({
      library: this.native,
      base: this.#base,
      options,
      transactionalId: settings.transactionalId,
      steps: this.#steps,
    });
  }

  checkTransactionalIdAccess(transactionalIdPrefix: string, librarySettings?: unknown): Promise<void> {
    return checkTransactionalIdAccess(this, transactionalIdPrefix, librarySettings);
  }

  classifySendError(error: unknown): SendErrorKind {
    return classifySendError(error);
  }

  async fetchEndOffsets(topic: string): Promise<Array<{ partition: number; high: string }>> {
    return (await this.#admin.endOffsets(topic)).map(({ partition, offset }) => ({
      partition,
      high: offset,
    }));
  }

  async fetchStartOffsets(topic: string): Promise<Array<{ partition: number; low: string }>> {
    return (await this.#admin.startOffsets(topic)).map(({ partition, offset }) => ({
      partition,
      low: offset,
    }));
  }

  fetchOffsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<Array<{ partition: number; offset: string }>> {
    return this.#admin.offsetsAtTime(topic, timestampMs);
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.#admin.deleteGroup(groupId);
  }

  createTopicIfMissing(
    topic: string,
    configs: Readonly<Record<string, string>>,
    numPartitions = 1,
  ): Promise<boolean> {
    return this.#admin.createTopicIfMissing(topic, configs, numPartitions);
  }

  fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>> {
    return this.#admin.committedOffsets(groupId, topic);
  }
}
