/**
 * A fake kafkajs client for unit specs of the kafkajs adapter (lib/kafka/kafkajs/kafkajs-driver.ts): the
 * adapter is built by `createKafkajsDriver()` as in production, then its kafkajs `Kafka` hands out these
 * consumers, producers and admins instead of real ones. Each records its calls, fails when told, and the
 * consumer emits kafkajs's instrumentation events (under kafkajs's own event names) when a spec says so.
 */
import { Kafka, KafkaJSProtocolError, logLevel, type ConsumerConfig, type ProducerConfig } from 'kafkajs';
import type { KafkaDriver } from '../../lib/kafka/kafka-driver';
import { createKafkajsDriver } from '../../lib/kafka/kafkajs/kafkajs-driver';
import type { Logger } from '../../lib/logger';

/** kafkajs's consumer event names, read from a real (never connected) consumer. */
export const CONSUMER_EVENTS = new Kafka({ brokers: ['localhost:1'], logLevel: logLevel.NOTHING }).consumer({
  groupId: 'fake-kafkajs-events',
}).events;

/** A kafkajs protocol error, as kafkajs builds it from a broker's error code. */
export function createProtocolError(type: string, code: number): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(`the broker answered ${type}`), { type, code }));
}

/** One call a fake received. */
export interface FakeCall {
  readonly method: string;
  readonly args: unknown[];
}

/** Records calls; `fail(method, error)` makes the next call of `method` throw `error`. */
class Recorder {
  readonly calls: FakeCall[] = [];
  readonly #failures = new Map<string, unknown[]>();

  fail(method: string, error: unknown): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), error]);
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  protected record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    const error = this.#failures.get(method)?.shift();
    if (error !== undefined) throw error;
  }
}

type InstrumentationListener = (event: {
  id: number;
  type: string;
  timestamp: number;
  payload: unknown;
}) => void;

export class FakeKafkajsConsumer extends Recorder {
  readonly events = CONSUMER_EVENTS;
  readonly #listeners = new Map<string, Set<InstrumentationListener>>();

  constructor(readonly config: ConsumerConfig) {
    super();
  }

  async connect(): Promise<void> {
    this.record('connect', []);
  }

  async disconnect(): Promise<void> {
    this.record('disconnect', []);
  }

  async subscribe(subscription: unknown): Promise<void> {
    this.record('subscribe', [subscription]);
  }

  async describeGroup(): Promise<void> {
    this.record('describeGroup', []);
  }

  async run(config: unknown): Promise<void> {
    this.record('run', [config]);
  }

  seek(target: unknown): void {
    this.record('seek', [target]);
  }

  async commitOffsets(offsets: unknown): Promise<void> {
    this.record('commitOffsets', [offsets]);
  }

  on(eventName: string, listener: InstrumentationListener): () => void {
    const listeners = this.#listeners.get(eventName) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(eventName, listeners);
    return () => listeners.delete(listener);
  }

  /** Emits a kafkajs instrumentation event to the listeners of `eventName`. */
  emit(eventName: string, payload: unknown): void {
    for (const listener of this.#listeners.get(eventName) ?? []) {
      listener({ id: 1, type: eventName, timestamp: 1_700_000_000_000, payload });
    }
  }

  /** Listeners registered and not removed, over every event. */
  get listenerCount(): number {
    return [...this.#listeners.values()].reduce((total, listeners) => total + listeners.size, 0);
  }
}

export class FakeKafkajsProducer extends Recorder {
  /** What sendBatch() answers. */
  answer: unknown[] = [{ topicName: 'spec.topic', partition: 0, errorCode: 0 }];

  constructor(readonly config: ProducerConfig) {
    super();
  }

  async connect(): Promise<void> {
    this.record('connect', []);
  }

  async disconnect(): Promise<void> {
    this.record('disconnect', []);
  }

  async sendBatch(request: unknown): Promise<unknown[]> {
    this.record('sendBatch', [request]);
    return this.answer;
  }

  /** A transaction that can only be aborted: what fencing at connect does. */
  async transaction(): Promise<{ abort(): Promise<void> }> {
    this.record('transaction', []);
    return { abort: async () => this.record('abort', []) };
  }
}

export class FakeKafkajsAdmin extends Recorder {
  constructor(private readonly cluster: FakeKafkajs) {
    super();
  }

  async connect(): Promise<void> {
    this.record('connect', []);
  }

  async disconnect(): Promise<void> {
    this.record('disconnect', []);
  }

  async listTopics(): Promise<string[]> {
    this.record('listTopics', []);
    return [...this.cluster.topics.keys()];
  }

  async fetchTopicOffsets(topic: string): Promise<unknown[]> {
    this.record('fetchTopicOffsets', [topic]);
    return this.cluster.topics.get(topic) ?? [];
  }

  async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<unknown[]> {
    this.record('fetchTopicOffsetsByTimestamp', [topic, timestamp]);
    return (this.cluster.topics.get(topic) ?? []).map(({ partition, high }) => ({ partition, offset: high }));
  }

  async fetchOffsets(request: unknown): Promise<unknown[]> {
    this.record('fetchOffsets', [request]);
    return this.cluster.groupOffsets;
  }

  async fetchTopicMetadata(request: { topics: string[] }): Promise<unknown> {
    this.record('fetchTopicMetadata', [request]);
    const refused = request.topics.find((topic) => this.cluster.refusedTopics.has(topic));
    if (refused !== undefined) throw createProtocolError('TOPIC_AUTHORIZATION_FAILED', 29);
    return {
      topics: request.topics.map((name) => ({
        name,
        partitions: (this.cluster.topics.get(name) ?? []).map(({ partition }) => ({
          partitionId: partition,
          leader: 1,
        })),
      })),
    };
  }

  async createTopics(request: {
    topics: Array<{ topic: string; configEntries: unknown[] }>;
  }): Promise<boolean> {
    this.record('createTopics', [request]);
    for (const { topic } of request.topics) {
      this.cluster.topics.set(topic, [{ partition: 0, low: '0', high: '0', offset: '0' }]);
    }
    return true;
  }

  async deleteGroups(groupIds: string[]): Promise<unknown[]> {
    this.record('deleteGroups', [groupIds]);
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }
}

/** The fake side of one adapter: what its kafkajs client handed out, and the cluster it describes. */
export class FakeKafkajs {
  readonly consumers: FakeKafkajsConsumer[] = [];
  readonly producers: FakeKafkajsProducer[] = [];
  readonly admins: FakeKafkajsAdmin[] = [];
  /** Topics of the cluster, with their partitions' low and high offsets. */
  readonly topics = new Map<
    string,
    Array<{ partition: number; low: string; high: string; offset: string }>
  >();
  /** Topics whose metadata this client may not read (admin.fetchTopicMetadata fails for them). */
  readonly refusedTopics = new Set<string>();
  /** What admin.fetchOffsets() answers. */
  groupOffsets: unknown[] = [];
  /** Set to prepare each admin before the adapter uses it (to make one of its calls fail). */
  prepareAdmin: ((admin: FakeKafkajsAdmin) => void) | undefined;

  get consumer(): FakeKafkajsConsumer {
    return only(this.consumers, 'consumer');
  }

  get producer(): FakeKafkajsProducer {
    return only(this.producers, 'producer');
  }
}

/**
 * The kafkajs adapter as `createKafkajsDriver()` builds it, over a kafkajs client whose consumers,
 * producers and admins are fakes. Brokers are given as a function, which the adapter never probes.
 */
export function createFakeKafkajsDriver(
  logger: Logger,
  config: { clientId?: string; sasl?: unknown } = {},
): { driver: KafkaDriver; kafkajs: FakeKafkajs } {
  const driver = createKafkajsDriver(
    { clientId: config.clientId ?? 'spec-client', brokers: () => ['localhost:1'], ...config } as never,
    logger,
  );
  const kafkajs = new FakeKafkajs();
  Object.assign(driver.native as Kafka, {
    consumer: (consumerConfig: ConsumerConfig) => {
      const consumer = new FakeKafkajsConsumer(consumerConfig);
      kafkajs.consumers.push(consumer);
      return consumer;
    },
    producer: (producerConfig: ProducerConfig) => {
      const producer = new FakeKafkajsProducer(producerConfig);
      kafkajs.producers.push(producer);
      return producer;
    },
    admin: () => {
      const admin = new FakeKafkajsAdmin(kafkajs);
      kafkajs.prepareAdmin?.(admin);
      kafkajs.admins.push(admin);
      return admin;
    },
  });
  return { driver, kafkajs };
}

function only<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one fake kafkajs ${what}, found ${items.length}`);
  return items[0];
}
