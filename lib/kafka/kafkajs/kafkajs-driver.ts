/**
 * The kafkajs adapter of the driver port: a kafkajs client bound to one cluster, its producers and group
 * consumers, each turning kafkajs's API and instrumentation events into the port's terms.
 */
import type {
  Admin,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  Kafka,
  KafkaConfig,
  Producer,
  ProducerConfig,
} from 'kafkajs';
import { RxKafkaError } from '../../errors';
import type { Logger } from '../../logger';
import type {
  ConsumeSettings,
  ConsumerSettings,
  DriverCapabilities,
  DriverConsumer,
  DriverConsumerEvent,
  DriverProducer,
  DriverProducerEvent,
  DriverTransactionalProducer,
  KafkaDriver,
  ProducerSettings,
  SendErrorKind,
  TransactionalProducerSettings,
} from '../kafka-driver';
import type { OutgoingRecord } from '../kafka-record';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import { sendWithAuthorization, withAuthorization, type AuthorizationContext } from './authorization-failure';
import { AuthorizationRefusals } from './authorization-refusals';
import { classifySendError } from './classify-send-error';
import { checkTransactionalIdAccess } from '../access-check-transactional-id';
import type { ConnectTarget } from '../connect-failure';
import { isUnopenedConnectionError } from './kafkajs-connect-failure';
import { ConnectSteps } from './connect-steps';
import { createKafka } from './create-kafka';
import { withFetchMaxWait } from './fetch-wait';
import { createKafkaLogCreator } from './kafka-log-creator';
import { probeBrokers } from './probe-brokers';
import { PartitionRecorder } from './partition-recorder';
import { isLostConnection } from './lost-connection';
import { ensureTopics } from './kafkajs-topics';
import { reachGroupCoordinator } from './reach-group-coordinator';
import { createReplyPartitionAssigner } from './reply-partition-assigner';
import { requireTopic, toUnknownTopicFailure } from '../topic-not-found';
import { isUnknownTopic } from './unknown-topic';
import { KafkajsTransactionalProducer } from './kafkajs-transactional-producer';

/** The kafkajs driver for the cluster and client that `config` names; kafkajs logs through `logger`. */
export function createKafkajsDriver(config: KafkaConfig, logger: Logger): KafkaDriver {
  const target = {
    clientId: config.clientId ?? 'kafkajs',
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl,
  };
  const refusals = new AuthorizationRefusals();
  const watched = refusals.watch(logger);
  const kafka = createKafka(config, watched);
  const logCreator = config.logCreator ?? createKafkaLogCreator(watched);
  const probe = () => probeBrokers(config, logCreator, isUnopenedConnectionError);
  return new KafkajsDriver(kafka, new ConnectSteps(target, probe), { target, refusals, kafka });
}

/** How long createTopicIfMissing() waits for the new topic's partition to have a leader. */
const TOPIC_LEADERS_TIMEOUT_MS = 30_000;

class KafkajsDriver implements KafkaDriver {
  readonly capabilities: DriverCapabilities = Object.freeze({
    joinsAfterConsume: false,
    pausesPartitions: true,
  });
  readonly native: Kafka;
  readonly #target: ConnectTarget;
  readonly #steps: ConnectSteps;
  readonly #authorization: AuthorizationContext;

  constructor(kafka: Kafka, steps: ConnectSteps, authorization: AuthorizationContext) {
    this.native = kafka;
    this.#target = steps.target;
    this.#steps = steps;
    this.#authorization = authorization;
  }

  createProducer(settings: ProducerSettings): DriverProducer {
    const config = (settings.librarySettings ?? {}) as ProducerConfig;
    return new KafkajsProducer(this.native, config, this.#steps, this.#authorization);
  }

  createConsumer(settings: ConsumerSettings): DriverConsumer {
    const config = (settings.librarySettings ?? {}) as ConsumerConfig;
    const assigners = settings.replyPartitions
      ? { partitionAssigners: [createReplyPartitionAssigner(settings.replyPartitions)] }
      : {};
    // The user's own partitionAssigners, if any, win over the reply assigner (as before the port existed).
    return new KafkajsConsumer(
      this.native.consumer(withFetchMaxWait({ ...assigners, ...config, groupId: settings.groupId })),
      settings.groupId,
      this.#steps,
      this.#authorization,
      () => this.#listTopics(),
    );
  }

  createTransactionalProducer(settings: TransactionalProducerSettings): DriverTransactionalProducer {
    const config = (settings.librarySettings ?? {}) as ProducerConfig;
    return new KafkajsTransactionalProducer(
      this.native,
      config,
      settings.transactionalId,
      this.#target,
      this.#authorization,
    );
  }

  classifySendError(error: unknown): SendErrorKind {
    return classifySendError(error);
  }

  checkTransactionalIdAccess(transactionalIdPrefix: string, librarySettings?: unknown): Promise<void> {
    return checkTransactionalIdAccess(this, transactionalIdPrefix, librarySettings);
  }

  async fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>> {
    const admin = this.native.admin();
    await admin.connect();
    try {
      const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (answer?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
    } finally {
      await admin.disconnect();
    }
  }

  fetchEndOffsets(topic: string): Promise<Array<{ partition: number; high: string }>> {
    return this.#withAdmin(async (admin) => {
      await this.#requireTopic(admin, topic);
      return (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ partition, high }));
    });
  }

  fetchStartOffsets(topic: string): Promise<Array<{ partition: number; low: string }>> {
    return this.#withAdmin(async (admin) => {
      await this.#requireTopic(admin, topic);
      return (await admin.fetchTopicOffsets(topic)).map(({ partition, low }) => ({ partition, low }));
    });
  }

  fetchOffsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<Array<{ partition: number; offset: string }>> {
    // kafkajs answers Kafka's -1 ("no record that late") with the partition's end offset, as the port says.
    return this.#withAdmin(async (admin) => {
      await this.#requireTopic(admin, topic);
      return (await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map(({ partition, offset }) => ({
        partition,
        offset,
      }));
    });
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.#withAdmin(async (admin) => {
      try {
        await admin.deleteGroups([groupId]);
      } catch (error) {
        // GROUP_ID_NOT_FOUND: a group that never got as far as joining (nothing to delete).
        if (groupErrorCode(error) === 'GROUP_ID_NOT_FOUND') return;
        throw error;
      }
    });
  }

  createTopicIfMissing(
    topic: string,
    configs: Readonly<Record<string, string>>,
    numPartitions = 1,
  ): Promise<boolean> {
    return this.#withAdmin(async (admin) => {
      const topics = [{ topic, numPartitions, replicationFactor: -1, configs }];
      const { created } = await ensureTopics(admin, topics, TOPIC_LEADERS_TIMEOUT_MS);
      return created.length > 0;
    });
  }

  /** Rejects with RXK_TOPIC_NOT_FOUND when `topic` does not exist (see requireTopic). */
  #requireTopic(admin: Admin, topic: string): Promise<void> {
    return requireTopic(() => admin.listTopics(), topic, this.#target.clientId);
  }

  /** The cluster's topics, asked once (no retry): it only names what a failed subscription missed. */
  async #listTopics(): Promise<string[]> {
    const admin = this.native.admin();
    await admin.connect();
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  }

  /** Runs `work` on a connected admin client, retrying what a topic or group just created may answer. */
  async #withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.native.admin();
    await admin.connect();
    try {
      // A topic created a moment ago may still answer "not the leader" while its leadership settles; a group
      // its last member has just left may still answer "not empty" for a moment.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await work(admin);
        } catch (error) {
          // rxkafka's own verdict (a missing topic) is final; the library's errors may be a passing state.
          if (attempt >= 6 || RxKafkaError.isRxKafkaError(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    } finally {
      await admin.disconnect();
    }
  }
}

function topicsOf(request: ProduceRequest): string[] {
  return [...new Set(request.topicMessages.map(({ topic }) => topic))];
}

/** The error type kafkajs's deleteGroups() reports for the first failed group, if it says. */
function groupErrorCode(error: unknown): string | undefined {
  const groups = (error as { groups?: Array<{ error?: { type?: string } }> } | undefined)?.groups;
  return groups?.[0]?.error?.type;
}

class KafkajsProducer implements DriverProducer {
  readonly native: Producer;
  // The #1303 workaround: pins each record to its first partition and remembers it (see PartitionRecorder).
  readonly #partitions = new PartitionRecorder();
  readonly #steps: ConnectSteps;
  readonly #authorization: AuthorizationContext;
  readonly #listeners = new Set<(event: DriverProducerEvent) => void>();

  constructor(
    kafka: Kafka,
    config: ProducerConfig,
    steps: ConnectSteps,
    authorization: AuthorizationContext,
  ) {
    this.native = kafka.producer({
      ...config,
      createPartitioner: this.#partitions.wrap(config.createPartitioner),
    });
    this.#steps = steps;
    this.#authorization = authorization;
  }

  connect(): Promise<void> {
    return withAuthorization(() => this.#steps.connect(() => this.native.connect()), {}, this.#authorization);
  }

  disconnect(): Promise<void> {
    return this.native.disconnect();
  }

  sendBatch(request: ProduceRequest): Promise<WrittenPartition[]> {
    // Only a failure pays for the authorization check: this is every record's path.
    const sent = sendWithAuthorization(
      () => this.native.sendBatch(request),
      topicsOf(request),
      this.#authorization,
    );
    // kafkajs emits nothing when a producer loses its brokers: the failed send is the only sign of it.
    if (this.#listeners.size > 0) {
      sent.catch((error: unknown) => {
        if (!isLostConnection(error)) return;
        for (const listener of this.#listeners) listener({ type: 'lost', error });
      });
    }
    return sent;
  }

  partitionOf(record: OutgoingRecord): number | undefined {
    return this.#partitions.partitionOf(record);
  }

  onEvent(listener: (event: DriverProducerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

class KafkajsConsumer implements DriverConsumer {
  readonly native: Consumer;
  readonly #groupId: string;
  readonly #steps: ConnectSteps;
  readonly #authorization: AuthorizationContext;
  readonly #listTopics: () => Promise<string[]>;

  constructor(
    consumer: Consumer,
    groupId: string,
    steps: ConnectSteps,
    authorization: AuthorizationContext,
    listTopics: () => Promise<string[]>,
  ) {
    this.native = consumer;
    this.#groupId = groupId;
    this.#steps = steps;
    this.#authorization = authorization;
    this.#listTopics = listTopics;
  }

  connect(): Promise<void> {
    return withAuthorization(
      () => this.#steps.connect(() => this.native.connect()),
      { groupId: this.#groupId },
      this.#authorization,
    );
  }

  disconnect(): Promise<void> {
    return this.native.disconnect();
  }

  consume(settings: ConsumeSettings): Promise<void> {
    const topics = settings.topics.filter((topic): topic is string => typeof topic === 'string');
    return withAuthorization(
      () => this.#steps.run(() => this.#consume(settings)),
      { topics, groupId: this.#groupId },
      this.#authorization,
    );
  }

  async #consume(settings: ConsumeSettings): Promise<void> {
    const subscription = { topics: [...settings.topics], fromBeginning: settings.fromBeginning };
    await this.native
      .subscribe(subscription)
      .catch((error: unknown) => {
        // kafkajs 2.2.4 keeps the broker connections a disconnect() ended: after connect() again, the first
        // metadata request (subscribe's) goes out on one of them and fails ('write after end', 'Closed
        // connection'); the request after it opens a new connection. Seen on every connect after a close().
        if (!isLostConnection(error)) throw error;
        return this.native.subscribe(subscription);
      })
      .catch(async (error: unknown) => {
        if (!isUnknownTopic(error)) throw error;
        throw await this.#describeUnknownTopic(error, settings.topics);
      });
    // Mapped here, not only around the whole step: a refused group ends the lookup at its first attempt.
    await reachGroupCoordinator(() =>
      withAuthorization(() => this.native.describeGroup(), { groupId: this.#groupId }, this.#authorization),
    );
    await this.native.run({
      ...((settings.librarySettings ?? {}) as ConsumerRunConfig),
      // The runtime resolves each offset once its record is handled and its replies are produced, and
      // commits them itself, off the fetch path: kafkajs must do neither.
      eachBatchAutoResolve: false,
      autoCommit: false,
      eachBatch: settings.eachBatch,
    });
  }

  /** The RXK_TOPIC_NOT_FOUND error naming which of `topics` the cluster lacks (all of them, if it cannot tell). */
  async #describeUnknownTopic(error: unknown, topics: ReadonlyArray<string | RegExp>): Promise<RxKafkaError> {
    const subscribed = topics.filter((topic): topic is string => typeof topic === 'string');
    const existing = await this.#listTopics().catch(() => undefined);
    const missing = existing && subscribed.filter((topic) => !existing.includes(topic));
    return toUnknownTopicFailure(error, this.#steps.target.clientId, subscribed, missing);
  }

  seek(topic: string, partition: number, offset: string): void {
    this.native.seek({ topic, partition, offset });
  }

  // kafkajs skips a paused partition's fetched batches and, on resume, fetches it from the offset after the
  // last one resolved (`eachBatchAutoResolve` is off), so the records the runtime left are read again.
  pause(topic: string, partition: number): void {
    this.native.pause([{ topic, partitions: [partition] }]);
  }

  resume(topic: string, partition: number): void {
    this.native.resume([{ topic, partitions: [partition] }]);
  }

  commitOffsets(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {
    return this.native.commitOffsets([...offsets]);
  }

  onEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    const { GROUP_JOIN, HEARTBEAT, REBALANCING, CRASH, COMMIT_OFFSETS, START_BATCH_PROCESS } =
      this.native.events;
    // STOP and DISCONNECT are left out: kafkajs emits them during the runtime's own close() and also right
    // before a CRASH, which carries the one fact that matters (whether kafkajs restarts by itself).
    const removers = [
      this.native.on(GROUP_JOIN, ({ payload }) =>
        listener({ type: 'group.joined', memberId: payload.memberId, assignment: payload.memberAssignment }),
      ),
      // kafkajs 2.2.4's GROUP_JOIN payload has no generation; each heartbeat and commit it sent names it.
      this.native.on(HEARTBEAT, ({ payload }) =>
        listener({
          type: 'group.generation',
          memberId: payload.memberId,
          generationId: payload.groupGenerationId,
        }),
      ),
      this.native.on(REBALANCING, () => listener({ type: 'rebalancing' })),
      // kafkajs resolves a fetch of only control or aborted records itself, without calling eachBatch; its
      // batch-start event (batchSize 0, lastOffset the last offset fetched) is the only sign of it.
      this.native.on(START_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize !== 0) return;
        listener({
          type: 'records.skipped',
          topic: payload.topic,
          partition: payload.partition,
          lastOffset: payload.lastOffset,
        });
      }),
      this.native.on(CRASH, ({ payload }) =>
        listener({ type: 'crashed', error: payload.error, restart: payload.restart }),
      ),
      this.native.on(COMMIT_OFFSETS, ({ payload }) => {
        listener({
          type: 'group.generation',
          memberId: payload.memberId,
          generationId: payload.groupGenerationId,
        });
        listener({
          type: 'offsets.committed',
          offsets: {
            topics: payload.topics.map(({ topic, partitions }) => ({
              topic,
              partitions: partitions.map(({ partition, offset }) => ({
                partition: Number(partition),
                offset,
              })),
            })),
          },
        });
      }),
    ];
    return () => removers.forEach((remove) => remove());
  }
}
