import {
  Kafka,
  logLevel,
  type EachBatchPayload,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import type { BenchEvent } from '../bench-event';
import { runWithConcurrency } from '../run-with-concurrency';
import {
  sumOf,
  type Closable,
  type ConnectionConfig,
  type EventConsumerConfig,
  type EventHandler,
  type Implementation,
  type SumRequester,
} from './implementation';

/** Partitions of the benchmark topics: every one of them is processed at once. */
const PARTITIONS_CONSUMED_CONCURRENTLY = 8;
/** Keys of one batch in flight at once: rxkafka's default `maxInFlightPerPartition`, for a like-for-like bound. */
const KEYS_IN_FLIGHT_PER_PARTITION = 64;

/**
 * Raw kafkajs, hand-written the way one would for speed: `eachBatch`, one `JSON.parse` per record, offsets
 * resolved per record (per batch with key concurrency). The practical ceiling for a kafkajs-based runtime.
 *
 * Its request/reply pair speaks the NestJS wire format (the same headers and `.reply` topic) with nothing
 * else: replies and requests are gathered into one `sendBatch` per event-loop turn with one in flight, a
 * batch returns once its replies are acknowledged, and commits are kafkajs's own (after every batch, in the
 * fetch path). No error replies, no timeouts, no checks of what kafkajs reports: kafkajs with its defaults
 * and the least code a request/reply needs, not a best case (NestJS, which commits without waiting for its
 * replies, answers a lone request sooner).
 */
export const kafkajsImplementation: Implementation = {
  startEventConsumer,
  startSumServer,
  connectSumRequester,
};

async function startEventConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable> {
  const kafka = new Kafka({
    clientId: config.groupId,
    brokers: [...config.brokers],
    logLevel: logLevel.ERROR,
  });
  const consumer = kafka.consumer({ groupId: config.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachBatch: config.keyConcurrency
      ? (payload) => handleByKey(payload, handle)
      : (payload) => handleInOrder(payload, handle),
  });
  // run() resolves once the consumer joined its group and was assigned partitions.
  return { close: () => consumer.disconnect() };
}

async function handleInOrder(payload: EachBatchPayload, handle: EventHandler): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  for (const message of batch.messages) {
    if (!isRunning() || isStale()) break;
    const pending = handle(decode(message));
    if (pending) await pending;
    resolveOffset(message.offset);
  }
  await heartbeat();
}

/**
 * Records of one key in offset order, up to KEYS_IN_FLIGHT_PER_PARTITION keys at once; the batch's offsets
 * resolve together once all are done.
 */
async function handleByKey(payload: EachBatchPayload, handle: EventHandler): Promise<void> {
  const { batch, resolveOffset, heartbeat } = payload;
  const byKey = new Map<string, KafkaMessage[]>();
  for (const message of batch.messages) {
    const key = message.key?.toString() ?? '';
    const queue = byKey.get(key);
    if (queue) queue.push(message);
    else byKey.set(key, [message]);
  }
  const queues = [...byKey.values()];
  await runWithConcurrency(queues.length, KEYS_IN_FLIGHT_PER_PARTITION, async (index) => {
    for (const message of queues[index]) await handle(decode(message));
  });
  resolveOffset(batch.lastOffset());
  await heartbeat();
}

function decode(message: KafkaMessage): BenchEvent {
  return JSON.parse(message.value?.toString() ?? 'null') as BenchEvent;
}

const CORRELATION_ID = 'kafka_correlationId';
const REPLY_TOPIC = 'kafka_replyTopic';
const REPLY_PARTITION = 'kafka_replyPartition';
const IS_DISPOSED = 'kafka_nest-is-disposed';

async function startSumServer(config: ConnectionConfig): Promise<Closable> {
  const kafka = createKafka(config, `${config.groupId}-server`);
  const producer = kafka.producer();
  const sender = new BatchingSender(producer);
  const consumer = kafka.consumer({ groupId: `${config.groupId}-server` });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic] });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const replies = new Map<string, Message[]>();
      for (const message of batch.messages) {
        const headers = message.headers ?? {};
        const topic = String(headers[REPLY_TOPIC]);
        const numbers = JSON.parse(message.value?.toString() ?? '[]') as number[];
        const reply: Message = {
          value: String(sumOf(numbers)),
          partition: Number(String(headers[REPLY_PARTITION])),
          headers: { [CORRELATION_ID]: headers[CORRELATION_ID] ?? '', [IS_DISPOSED]: Buffer.alloc(1) },
        };
        const forTopic = replies.get(topic);
        if (forTopic) forTopic.push(reply);
        else replies.set(topic, [reply]);
      }
      await Promise.all([...replies].map(([topic, messages]) => sender.send(topic, messages)));
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
  return {
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function connectSumRequester(config: ConnectionConfig): Promise<SumRequester> {
  const replyTopic = `${config.topic}.reply`;
  const kafka = createKafka(config, `${config.groupId}-client`);
  const producer = kafka.producer();
  const sender = new BatchingSender(producer);
  const consumer = kafka.consumer({ groupId: `${config.groupId}-client` });
  const pending = new Map<string, (reply: unknown) => void>();
  let nextId = 0;
  await producer.connect();
  await consumer.connect();
  // The reply topic is new for every run: reading it from the beginning means a reply written before the
  // consumer's first fetch (while kafkajs still looks up where "latest" is) is not skipped.
  await consumer.subscribe({ topics: [replyTopic], fromBeginning: true });
  const assigned = new Promise<number>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      resolve(payload.memberAssignment[replyTopic][0]),
    );
  });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        const id = String(message.headers?.[CORRELATION_ID]);
        const resolve = pending.get(id);
        if (!resolve) continue;
        pending.delete(id);
        resolve(message.value?.toString());
      }
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
  const replyPartition = String(await assigned);
  return {
    request: (numbers) =>
      new Promise((resolve, reject) => {
        const id = String(nextId++);
        pending.set(id, resolve);
        const request: Message = {
          value: JSON.stringify(numbers),
          headers: { [CORRELATION_ID]: id, [REPLY_TOPIC]: replyTopic, [REPLY_PARTITION]: replyPartition },
        };
        sender.send(config.topic, [request]).catch((error: unknown) => {
          pending.delete(id);
          reject(error);
        });
      }),
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

function createKafka(config: ConnectionConfig, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...config.brokers], logLevel: logLevel.ERROR });
}

/** One `sendBatch` per event-loop turn, one in flight: what is queued meanwhile leaves in the next one. */
class BatchingSender {
  readonly #producer: Producer;
  #queue: Array<{ topic: string; messages: Message[]; done: (error?: unknown) => void }> = [];
  #sending = false;

  constructor(producer: Producer) {
    this.#producer = producer;
  }

  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ topic, messages, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.#sending) {
        this.#sending = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const byTopic = new Map<string, Message[]>();
      for (const { topic, messages } of batch) {
        const forTopic = byTopic.get(topic);
        if (forTopic) forTopic.push(...messages);
        else byTopic.set(topic, [...messages]);
      }
      try {
        await this.#producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.#sending = false;
  }
}
