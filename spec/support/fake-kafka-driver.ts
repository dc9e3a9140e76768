/**
 * A fake Kafka client library behind rxkafka's driver port, for unit specs of the connection, the server
 * and the client: no broker, no sockets, every step under the spec's control and in milliseconds.
 *
 * - Producers record every produce request and acknowledge it at once, or hold acknowledgements until the
 *   spec releases them (`holdAcks()`), so a spec can see what happens between "produced" and "acknowledged".
 * - Consumers join as soon as they consume, with partition 0 of every subscribed topic (or the assignment
 *   the spec set), and hand the runtime the batches a spec delivers. A spec may make them join only when
 *   told (`joinsOnConsume = false`), and report the generation apart from the join, as kafkajs does. Resolved and committed offsets are
 *   kept per partition, as Kafka stores them: the next offset to read.
 */
import type {
  ConsumeSettings,
  ConsumerSettings,
  DriverCapabilities,
  DriverConsumer,
  DriverConsumerEvent,
  DriverProducer,
  DriverProducerEvent,
  DriverTransaction,
  DriverTransactionalProducer,
  KafkaDriver,
  ProducerSettings,
  ReaderSettings,
  SendErrorKind,
  TransactionalProducerSettings,
} from '../../lib/kafka/kafka-driver';
import { RxKafkaError } from '../../lib/errors';
import type { FetchedBatch, TopicPartitionOffsets } from '../../lib/kafka/fetched-batch';
import type { FetchedRecord, OutgoingRecord, RecordHeaders } from '../../lib/kafka/kafka-record';
import type { ProduceRequest, WrittenPartition } from '../../lib/kafka/record-producer';

/** A record a spec delivers: only the value is needed. */
export interface FakeRecordInput {
  readonly value: Buffer | string | null;
  readonly key?: Buffer | string | null;
  readonly headers?: RecordHeaders;
}

/** One produced record, flattened: topic, partition and the record as the runtime built it. */
export interface ProducedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly record: OutgoingRecord;
}

const SEND_ERROR_KIND = Symbol('fake send error kind');

/** A send failure of the given kind, as the fake driver classifies it (any other error is `retriable`). */
export function createSendError(kind: SendErrorKind, message: string): Error {
  return Object.assign(new Error(message), { [SEND_ERROR_KIND]: kind });
}

export class FakeKafkaDriver implements KafkaDriver {
  readonly native = { fake: 'kafka' };
  /** Absent unless a spec sets it (the machine then allows for every capability). */
  capabilities: DriverCapabilities | undefined;
  readonly producers: FakeProducer[] = [];
  readonly consumers: FakeConsumer[] = [];
  /** End offsets `fetchEndOffsets` answers, by topic. */
  readonly endOffsets = new Map<string, Array<{ partition: number; high: string }>>();

  createProducer(settings: ProducerSettings): FakeProducer {
    const producer = new FakeProducer(settings);
    this.producers.push(producer);
    return producer;
  }

  createConsumer(settings: ConsumerSettings): FakeConsumer {
    const consumer = new FakeConsumer(settings);
    this.consumers.push(consumer);
    return consumer;
  }

  /**
   * Absent unless a spec calls `readWithoutGroup()`: then a consumer without a group is a FakeConsumer too
   * (in `consumers`, and in `readers`), its settings' groupId empty.
   */
  createReader: ((settings: ReaderSettings) => FakeConsumer) | undefined;
  readonly readers: FakeConsumer[] = [];

  readWithoutGroup(): this {
    this.createReader = (settings) => {
      const reader = this.createConsumer({ groupId: '', librarySettings: settings.librarySettings });
      this.readers.push(reader);
      return reader;
    };
    return this;
  }

  async fetchEndOffsets(topic: string): Promise<Array<{ partition: number; high: string }>> {
    return this.endOffsets.get(topic) ?? [{ partition: 0, high: '0' }];
  }

  /** The kind createSendError() gave the error; a producer's `lostWith` is lost-connection; else retriable. */
  classifySendError(error: unknown): SendErrorKind {
    const kind = (error as { [SEND_ERROR_KIND]?: SendErrorKind } | null)?.[SEND_ERROR_KIND];
    if (kind !== undefined) return kind;
    return this.producers.some((producer) => producer.lostWith !== undefined && producer.lostWith === error)
      ? 'lost-connection'
      : 'retriable';
  }

  // Transactions ----------------------------------------------------------------------------------------
  readonly transactionalProducers: FakeTransactionalProducer[] = [];
  /** Every transaction that ended, in order. */
  readonly transactions: FakeTransactionRecord[] = [];
  /** `groupId topic/partition` → the next offset to read, as committed by transactions (or set by a spec). */
  readonly groupOffsets = new Map<string, string>();
  /** transactional id → the newest epoch: an older producer of the id is fenced. */
  readonly epochs = new Map<string, number>();

  createTransactionalProducer(settings: TransactionalProducerSettings): FakeTransactionalProducer {
    const producer = new FakeTransactionalProducer(settings, this);
    this.transactionalProducers.push(producer);
    return producer;
  }

  async fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>> {
    const prefix = `${groupId} ${topic}/`;
    return [...this.groupOffsets]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, offset]) => ({ partition: Number(key.slice(prefix.length)), offset }));
  }

  // Replay and projections.
  /** Start offsets `fetchStartOffsets` answers, by topic (default: 0 for each partition of endOffsets). */
  readonly startOffsets = new Map<string, Array<{ partition: number; low: string }>>();
  /** What `fetchOffsetsAtTime` answers, by topic: a function of the timestamp. */
  readonly offsetsAtTime = new Map<
    string,
    (timestampMs: number) => Array<{ partition: number; offset: string }>
  >();
  readonly deletedGroups: string[] = [];
  readonly createdTopics: Array<{ topic: string; configs: Readonly<Record<string, string>> }> = [];

  async fetchStartOffsets(topic: string): Promise<Array<{ partition: number; low: string }>> {
    const ends = await this.fetchEndOffsets(topic);
    return this.startOffsets.get(topic) ?? ends.map(({ partition }) => ({ partition, low: '0' }));
  }

  async fetchOffsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<Array<{ partition: number; offset: string }>> {
    const answer = this.offsetsAtTime.get(topic);
    if (answer) return answer(timestampMs);
    return (await this.fetchEndOffsets(topic)).map(({ partition, high }) => ({ partition, offset: high }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.deletedGroups.push(groupId);
  }

  async createTopicIfMissing(topic: string, configs: Readonly<Record<string, string>>): Promise<boolean> {
    if (this.createdTopics.some((created) => created.topic === topic)) return false;
    this.createdTopics.push({ topic, configs });
    return true;
  }

  /** The only producer; fails when there is none or several. */
  get producer(): FakeProducer {
    return single(this.producers, 'producer');
  }

  /** The only consumer; fails when there is none or several. */
  get consumer(): FakeConsumer {
    return single(this.consumers, 'consumer');
  }
}

export class FakeProducer implements DriverProducer {
  readonly native = { fake: 'producer' };
  readonly requests: ProduceRequest[] = [];
  connected = false;
  /** Set to make the next connect() fail with it. */
  connectError: unknown;
  /** Set to make every send fail with it, reporting the producer lost (as the driver does for a lost broker). */
  lostWith: unknown;
  readonly #partitions = new WeakMap<OutgoingRecord, number>();
  readonly #listeners = new Set<(event: DriverProducerEvent) => void>();
  #held: Array<(error?: unknown) => void> | undefined;

  constructor(readonly settings: ProducerSettings) {}

  onEvent(listener: (event: DriverProducerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async connect(): Promise<void> {
    if (this.connectError !== undefined) {
      const error = this.connectError;
      this.connectError = undefined;
      throw error;
    }
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async sendBatch(request: ProduceRequest): Promise<WrittenPartition[]> {
    if (this.lostWith !== undefined) {
      const error = this.lostWith;
      for (const listener of this.#listeners) listener({ type: 'lost', error });
      throw error;
    }
    this.requests.push(request);
    const written: WrittenPartition[] = [];
    for (const { topic, messages } of request.topicMessages) {
      for (const record of messages) {
        const partition = record.partition ?? 0;
        this.#partitions.set(record, partition);
        if (!written.some((entry) => entry.topicName === topic && entry.partition === partition)) {
          written.push({ topicName: topic, partition, errorCode: 0 });
        }
      }
    }
    if (this.#held) {
      await new Promise<void>((resolve, reject) =>
        this.#held?.push((error) => (error === undefined ? resolve() : reject(error))),
      );
    }
    return written;
  }

  partitionOf(record: OutgoingRecord): number | undefined {
    return this.#partitions.get(record);
  }

  /** Every record produced so far, in order. */
  get records(): ProducedRecord[] {
    return this.requests.flatMap((request) =>
      request.topicMessages.flatMap(({ topic, messages }) =>
        messages.map((record) => ({ topic, partition: record.partition ?? 0, record })),
      ),
    );
  }

  /** From now on, produce requests wait for `releaseAcks()` before Kafka "acknowledges" them. */
  holdAcks(): void {
    this.#held ??= [];
  }

  /** Acknowledges every held request (or fails each with `error`) and stops holding. */
  releaseAcks(error?: unknown): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    held.forEach((release) => release(error));
  }
}

export class FakeConsumer implements DriverConsumer {
  readonly native = { fake: 'consumer' };
  readonly memberId = `fake-member-${Math.random().toString(16).slice(2, 10)}`;
  /** `topic/partition` → the next offset to read, as committed. */
  readonly committed = new Map<string, string>();
  /** Every commit, in order. */
  readonly commits: TopicPartitionOffsets[] = [];
  readonly seeks: Array<{ topic: string; partition: number; offset: string }> = [];
  /** Every pause and resume of one partition, in order (`pause t/0`, `resume t/0`). */
  readonly pauses: string[] = [];
  connected = false;
  /** Set before consume() to join with this assignment instead of partition 0 of each topic. */
  assignment: Record<string, number[]> | undefined;
  /** False: consume() resolves without joining, and the spec calls join() (a driver whose join comes later). */
  joinsOnConsume = true;
  /** False: joins carry no generation, as kafkajs's GROUP_JOIN; reportGeneration() brings it. */
  joinsWithGeneration = true;
  #settings: ConsumeSettings | undefined;
  #running = false;
  #generation = 0;
  readonly #listeners = new Set<(event: DriverConsumerEvent) => void>();
  /** `topic/partition` → the next offset to read, as resolved. */
  readonly #resolved = new Map<string, string>();
  #nextOffset = new Map<string, number>();

  constructor(readonly settings: ConsumerSettings) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.#running = false;
  }

  async consume(settings: ConsumeSettings): Promise<void> {
    this.#settings = settings;
    this.#running = true;
    // kafkajs emits its GROUP_JOIN inside run(): the join may come before consume() resolves.
    if (this.joinsOnConsume) this.join();
  }

  seek(topic: string, partition: number, offset: string): void {
    this.seeks.push({ topic, partition, offset });
  }

  pause(topic: string, partition: number): void {
    this.pauses.push(`pause ${topic}/${partition}`);
  }

  resume(topic: string, partition: number): void {
    this.pauses.push(`resume ${topic}/${partition}`);
  }

  async commitOffsets(
    offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>,
  ): Promise<void> {
    this.#commit({
      topics: offsets.map(({ topic, partition, offset }) => ({ topic, partitions: [{ partition, offset }] })),
    });
  }

  onEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The topics the runtime subscribed to. */
  get topics(): ReadonlyArray<string | RegExp> {
    return this.#settings?.topics ?? [];
  }

  /** Joins (again): a new generation with `assignment` or partition 0 of each subscribed topic. */
  join(assignment = this.assignment): void {
    this.#generation += 1;
    const joined =
      assignment ??
      Object.fromEntries(
        this.topics
          .filter((topic): topic is string => typeof topic === 'string')
          .map((topic) => [topic, [0]]),
      );
    this.#emit({
      type: 'group.joined',
      memberId: this.memberId,
      ...(this.joinsWithGeneration ? { generationId: this.#generation } : {}),
      assignment: joined,
    });
  }

  /** Reports the current generation apart from the join (kafkajs: a heartbeat or a commit). */
  reportGeneration(memberId = this.memberId): void {
    this.#emit({ type: 'group.generation', memberId, generationId: this.#generation });
  }

  /** The consumer moved past records it never handed to a batch (transaction markers, aborted records). */
  skip(topic: string, partition: number, lastOffset: string): void {
    this.#emit({ type: 'records.skipped', topic, partition, lastOffset });
  }

  /** A rebalance: the rebalancing event, then a join with `assignment`. */
  rebalance(assignment?: Record<string, number[]>): void {
    this.#emit({ type: 'rebalancing' });
    this.join(assignment);
  }

  /** KIP-848: the broker adds `partitions` to what this member keeps, without a rebalance. */
  assignPartitions(partitions: Record<string, number[]>): void {
    this.#emit({ type: 'partitions.assigned', partitions });
  }

  /** KIP-848: the broker takes `partitions` from this member, which keeps the others. */
  revokePartitions(partitions: Record<string, number[]>): void {
    this.#emit({ type: 'partitions.revoked', partitions });
  }

  /** The consumer crashes; `restart` says whether the library restarts it by itself. */
  crash(error: unknown, restart: boolean): void {
    this.#running = false;
    this.#emit({ type: 'crashed', error, restart });
  }

  /**
   * Hands the runtime one batch of `records` on `topic`/`partition`, at the partition's next offsets, and
   * resolves when the runtime's batch handler returns (or rejects with its error). `firstOffset` delivers
   * them from there instead (a redelivery after a seek).
   */
  deliver(
    topic: string,
    partition: number,
    records: readonly FakeRecordInput[],
    firstOffset?: number,
  ): Promise<void> {
    const settings = this.#settings;
    if (!settings || !this.#running) throw new Error('the fake consumer is not consuming: connect first');
    const key = `${topic}/${partition}`;
    const first = firstOffset ?? this.#nextOffset.get(key) ?? 0;
    this.#nextOffset.set(key, first + records.length);
    const messages: FetchedRecord[] = records.map((input, index) => ({
      key: toBuffer(input.key),
      value: toBuffer(input.value),
      headers: input.headers ?? {},
      offset: String(first + index),
      timestamp: '1700000000000',
      attributes: 0,
    }));
    const batch: FetchedBatch = {
      batch: { topic, partition, highWatermark: String(first + records.length), messages },
      resolveOffset: (offset) => {
        const next = String(Number(offset) + 1);
        if (Number(next) > Number(this.#resolved.get(key) ?? 0)) this.#resolved.set(key, next);
      },
      heartbeat: async () => undefined,
      isRunning: () => this.#running,
      isStale: () => false,
      uncommittedOffsets: () => this.#uncommitted(),
      commitOffsetsIfNecessary: async (offsets) => this.#commit(offsets ?? this.#uncommitted()),
    };
    return settings.eachBatch(batch);
  }

  /** The next offset to read of `topic`/`partition` as resolved by the runtime; undefined before any. */
  resolvedOffset(topic: string, partition: number): string | undefined {
    return this.#resolved.get(`${topic}/${partition}`);
  }

  #uncommitted(): TopicPartitionOffsets {
    const topics = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const [key, offset] of this.#resolved) {
      if (this.committed.get(key) === offset) continue;
      const [topic, partition] = splitKey(key);
      topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
    }
    return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  #commit(offsets: TopicPartitionOffsets): void {
    if (offsets.topics.length === 0) return;
    for (const { topic, partitions } of offsets.topics) {
      for (const { partition, offset } of partitions) this.committed.set(`${topic}/${partition}`, offset);
    }
    this.commits.push(offsets);
    this.#emit({ type: 'offsets.committed', offsets });
  }

  #emit(event: DriverConsumerEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/** One transaction as it ended: what it produced and committed, and how it ended. */
export interface FakeTransactionRecord {
  readonly transactionalId: string;
  readonly records: ProducedRecord[];
  readonly offsets: Array<{ groupId: string; offsets: TopicPartitionOffsets }>;
  readonly outcome: 'committed' | 'aborted';
}

/**
 * A transactional producer: connect() fences older producers of its id (a newer epoch), a transaction
 * commits its offsets into the driver's `groupOffsets`, and a fenced producer's calls fail with
 * RXK_PRODUCER_FENCED. `failNext` makes the next call of one step fail with an error.
 */
export class FakeTransactionalProducer implements DriverTransactionalProducer {
  readonly native = { fake: 'transactional-producer' };
  readonly transactionalId: string;
  connected = false;
  epoch = 0;
  /** Set to make the next call of `step` fail with `error`. */
  failNext: { step: 'sendBatch' | 'sendOffsets' | 'commit'; error: unknown } | undefined;
  readonly #driver: FakeKafkaDriver;

  constructor(
    readonly settings: TransactionalProducerSettings,
    driver: FakeKafkaDriver,
  ) {
    this.transactionalId = settings.transactionalId;
    this.#driver = driver;
  }

  async connect(): Promise<void> {
    this.epoch = (this.#driver.epochs.get(this.transactionalId) ?? 0) + 1;
    this.#driver.epochs.set(this.transactionalId, this.epoch);
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  get fenced(): boolean {
    return this.#driver.epochs.get(this.transactionalId) !== this.epoch;
  }

  async transaction(): Promise<DriverTransaction> {
    if (!this.connected) throw new Error('the fake transactional producer is not connected');
    const records: ProducedRecord[] = [];
    const offsets: Array<{ groupId: string; offsets: TopicPartitionOffsets }> = [];
    let ended = false;
    const step = (name: 'sendBatch' | 'sendOffsets' | 'commit' | 'abort'): void => {
      if (ended) throw new Error('the transaction has ended');
      if (this.fenced) {
        throw new RxKafkaError('RXK_PRODUCER_FENCED', `fake producer ${this.transactionalId} was fenced`);
      }
      const failure = this.failNext;
      if (failure && failure.step === name) {
        this.failNext = undefined;
        throw failure.error;
      }
    };
    const end = (outcome: 'committed' | 'aborted'): void => {
      ended = true;
      this.#driver.transactions.push({ transactionalId: this.transactionalId, records, offsets, outcome });
    };
    return {
      sendBatch: async (request) => {
        step('sendBatch');
        for (const { topic, messages } of request.topicMessages) {
          for (const record of messages) records.push({ topic, partition: record.partition ?? 0, record });
        }
        return [];
      },
      sendOffsets: async (groupId, sent) => {
        step('sendOffsets');
        offsets.push({ groupId, offsets: sent });
      },
      commit: async () => {
        step('commit');
        for (const { groupId, offsets: sent } of offsets) {
          for (const { topic, partitions } of sent.topics) {
            for (const { partition, offset } of partitions) {
              this.#driver.groupOffsets.set(`${groupId} ${topic}/${partition}`, offset);
            }
          }
        }
        end('committed');
      },
      abort: async () => {
        step('abort');
        end('aborted');
      },
    };
  }
}

function toBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

function single<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one fake ${what}, found ${items.length}`);
  return items[0];
}
