import type { Readable } from 'node:stream';
import type { CommitOptions, Message, MessageToProduce, Producer } from '@platformatic/kafka' with {
  'resolution-mode': 'import',
};
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

type Library = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });
export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type StringMessage = Message<string, string, string, string>;
type StringRecord = MessageToProduce<string, string, string, string>;

/** Partitions of one read processed at once: kafkajs.ts's `partitionsConsumedConcurrently`. */
const PARTITIONS_CONSUMED_CONCURRENTLY = 8;
/** Keys of one partition's records in flight at once, as in kafkajs.ts. */
const KEYS_IN_FLIGHT_PER_PARTITION = 64;
/**
 * How long an idle fetch waits at the broker. @platformatic/kafka's default is 5 s, and a close waits for the
 * fetch in flight; 500 ms is what rxkafka's platformatic consumer uses. Outside every measured window.
 */
const MAX_WAIT_TIME_MS = 500;
/** Acknowledged by every in-sync replica. */
const ACKS_ALL = -1;

/**
 * Raw @platformatic/kafka, hand-written on its Consumer and Producer with the same work as raw kafkajs
 * (kafkajs.ts): the consume stream read a buffer at a time, one `JSON.parse` per record, the partitions of a
 * buffer handled at once, then one commit of the buffer's last offsets (kafkajs commits after every batch).
 *
 * Its request/reply pair speaks the NestJS wire format: replies and requests gathered into one `send()` per
 * event-loop turn with one in flight, a buffer committed once its replies are acknowledged, requests spread
 * over the partitions round robin (as kafkajs's partitioner does for keyless records; @platformatic/kafka's
 * would put them all on partition 0). No error replies, no timeouts.
 */
export const platformaticImplementation: Implementation = {
  startEventConsumer,
  startSumServer,
  connectSumRequester,
};

/**
 * (g)'s raw read: the least a @platformatic/kafka read of a whole topic needs, as the kafkajs baseline's:
 * a consumer in a group of its own from the earliest offset, the stream read a buffer at a time, one
 * `JSON.parse` per record, no commits (a read has nothing to commit), the library's defaults otherwise.
 */
export async function startRawRead(
  config: Pick<ConnectionConfig, 'brokers' | 'topic' | 'groupId'>,
  handle: (event: BenchEvent) => void,
): Promise<Closable> {
  const consumer = createRawConsumer(config);
  const stream = await consumer.consume({ topics: [config.topic], mode: 'earliest', autocommit: false });
  const reading = readBuffers<RawMessage>(stream, async (messages) => {
    for (const message of messages) handle(JSON.parse(message.value.toString()) as BenchEvent);
  });
  return { close: () => closeConsumer(consumer, stream, reading) };
}

/**
 * The ES module, loaded with `require()` from this CommonJS build (Node 20.19+), as
 * lib/kafka/platformatic/platformatic-library.ts does.
 */
export function loadLibrary(): Library {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@platformatic/kafka') as Library;
}

/** A Buffer consumer of `config.groupId`, the library's defaults but the idle fetch's wait. */
export function createRawConsumer(config: Pick<ConnectionConfig, 'brokers' | 'groupId'>) {
  const { Consumer } = loadLibrary();
  return new Consumer({
    clientId: config.groupId,
    bootstrapBrokers: [...config.brokers],
    groupId: config.groupId,
    maxWaitTime: MAX_WAIT_TIME_MS,
  });
}

async function startEventConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable> {
  const consumer = createRawConsumer(config);
  // consume() resolves once the consumer has joined its group and was assigned partitions.
  const stream = await consumer.consume({
    topics: [config.topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  const handlePartition = config.keyConcurrency
    ? (messages: RawMessage[]) => handleByKey(messages, handle)
    : (messages: RawMessage[]) => handleInOrder(messages, handle);
  const reading = readBuffers<RawMessage>(stream, async (messages) => {
    const partitions = [...groupByPartition(messages).values()];
    await runWithConcurrency(partitions.length, PARTITIONS_CONSUMED_CONCURRENTLY, (index) =>
      handlePartition(partitions[index]),
    );
    await commitLast(consumer, messages);
  });
  return { close: () => closeConsumer(consumer, stream, reading) };
}

async function handleInOrder(messages: readonly RawMessage[], handle: EventHandler): Promise<void> {
  for (const message of messages) {
    const pending = handle(JSON.parse(message.value.toString()) as BenchEvent);
    if (pending) await pending;
  }
}

/** Records of one key in offset order, up to KEYS_IN_FLIGHT_PER_PARTITION keys at once. */
async function handleByKey(messages: readonly RawMessage[], handle: EventHandler): Promise<void> {
  const byKey = new Map<string, RawMessage[]>();
  for (const message of messages) {
    const key = message.key?.toString() ?? '';
    const queue = byKey.get(key);
    if (queue) queue.push(message);
    else byKey.set(key, [message]);
  }
  const queues = [...byKey.values()];
  await runWithConcurrency(queues.length, KEYS_IN_FLIGHT_PER_PARTITION, async (index) => {
    for (const message of queues[index]) await handle(JSON.parse(message.value.toString()) as BenchEvent);
  });
}

const CORRELATION_ID = 'kafka_correlationId';
const REPLY_TOPIC = 'kafka_replyTopic';
const REPLY_PARTITION = 'kafka_replyPartition';
const IS_DISPOSED = 'kafka_nest-is-disposed';

async function startSumServer(config: ConnectionConfig): Promise<Closable> {
  const { producer, sender, consumer } = createStringClients(config, `${config.groupId}-server`);
  // The request topic is new for every run: from its beginning, no request written before the first fetch
  // is skipped.
  const stream = await consumer.consume({
    topics: [config.topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  const reading = readBuffers<StringMessage>(stream, async (requests) => {
    const replies = requests.map((request): StringRecord => ({
      topic: request.headers.get(REPLY_TOPIC) ?? '',
      partition: Number(request.headers.get(REPLY_PARTITION)),
      value: String(sumOf(JSON.parse(request.value) as number[])),
      headers: { [CORRELATION_ID]: request.headers.get(CORRELATION_ID) ?? '', [IS_DISPOSED]: '\0' },
    }));
    await sender.send(replies);
    await commitLast(consumer, requests);
  });
  return {
    close: async () => {
      await closeConsumer(consumer, stream, reading);
      await producer.close();
    },
  };
}

async function connectSumRequester(config: ConnectionConfig): Promise<SumRequester> {
  const replyTopic = `${config.topic}.reply`;
  const { producer, sender, consumer } = createStringClients(config, `${config.groupId}-client`);
  const pending = new Map<string, (reply: unknown) => void>();
  let nextId = 0;
  const metadata = await producer.metadata({ topics: [config.topic] });
  const partitions = metadata.topics.get(config.topic)?.partitionsCount ?? 1;
  // The reply topic is new for every run, read from its beginning as kafkajs.ts does.
  const stream = await consumer.consume({
    topics: [replyTopic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  const replyPartition = String(consumer.assignments?.[0]?.partitions[0] ?? 0);
  const reading = readBuffers<StringMessage>(stream, async (replies) => {
    for (const reply of replies) {
      const id = reply.headers.get(CORRELATION_ID) ?? '';
      const resolve = pending.get(id);
      if (!resolve) continue;
      pending.delete(id);
      resolve(reply.value);
    }
    await commitLast(consumer, replies);
  });
  return {
    request: (numbers) =>
      new Promise((resolve, reject) => {
        const id = String(nextId++);
        pending.set(id, resolve);
        const request: StringRecord = {
          topic: config.topic,
          partition: nextId % partitions,
          value: JSON.stringify(numbers),
          headers: { [CORRELATION_ID]: id, [REPLY_TOPIC]: replyTopic, [REPLY_PARTITION]: replyPartition },
        };
        sender.send([request]).catch((error: unknown) => {
          pending.delete(id);
          reject(error);
        });
      }),
    close: async () => {
      await closeConsumer(consumer, stream, reading);
      await producer.close();
    },
  };
}

/**
 * A producer (acknowledged by all replicas, as kafkajs's default; @platformatic/kafka's is the leader only)
 * with its batching sender, and a consumer of group `clientId`, both with string keys, values and headers.
 */
function createStringClients(config: ConnectionConfig, clientId: string) {
  const { Consumer, Producer, stringSerializers, stringDeserializers } = loadLibrary();
  const producer = new Producer({
    clientId,
    bootstrapBrokers: [...config.brokers],
    serializers: stringSerializers,
    acks: ACKS_ALL,
  });
  const consumer = new Consumer({
    clientId,
    bootstrapBrokers: [...config.brokers],
    groupId: clientId,
    maxWaitTime: MAX_WAIT_TIME_MS,
    deserializers: stringDeserializers,
  });
  return { producer, sender: new BatchingSender(producer), consumer };
}

/**
 * Hands `process` everything the stream holds, a buffer at a time, waiting for more when it holds nothing;
 * resolves once the stream closed. Reading only between buffers keeps the stream's own backpressure.
 */
export async function readBuffers<M>(
  stream: Readable,
  process: (messages: M[]) => Promise<void>,
): Promise<void> {
  let ended = false;
  let wake: () => void = () => undefined;
  const onChange = () => wake();
  stream.on('readable', onChange);
  for (const event of ['end', 'close', 'error'] as const) {
    stream.on(event, () => {
      ended = true;
      wake();
    });
  }
  while (!ended && !stream.destroyed) {
    const messages: M[] = [];
    for (let message = stream.read() as M | null; message !== null; message = stream.read() as M | null) {
      messages.push(message);
    }
    if (messages.length > 0) await process(messages);
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** The next offset of each partition's last record in `messages`, committed in one request. */
async function commitLast(
  consumer: { commit(options: CommitOptions): Promise<void> },
  messages: ReadonlyArray<RawMessage | StringMessage>,
): Promise<void> {
  const last = new Map<string, CommitOptions['offsets'][number]>();
  for (const { topic, partition, offset } of messages) {
    last.set(`${topic}:${partition}`, { topic, partition, offset: offset + 1n, leaderEpoch: -1 });
  }
  await consumer.commit({ offsets: [...last.values()] });
}

export function groupByPartition(messages: readonly RawMessage[]): Map<number, RawMessage[]> {
  const byPartition = new Map<number, RawMessage[]>();
  for (const message of messages) {
    const forPartition = byPartition.get(message.partition);
    if (forPartition) forPartition.push(message);
    else byPartition.set(message.partition, [message]);
  }
  return byPartition;
}

export async function closeConsumer(
  consumer: { close(force?: boolean): Promise<void> },
  stream: { close(): Promise<void> },
  reading: Promise<void>,
): Promise<void> {
  await stream.close();
  await reading;
  await consumer.close();
}

type StringProducer = Producer<string, string, string, string>;

/** One `send()` per event-loop turn, one in flight: what is queued meanwhile leaves in the next one. */
class BatchingSender {
  readonly #producer: StringProducer;
  #queue: Array<{ messages: StringRecord[]; done: (error?: unknown) => void }> = [];
  #sending = false;

  constructor(producer: StringProducer) {
    this.#producer = producer;
  }

  send(messages: StringRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ messages, done: (error) => (error ? reject(error) : resolve()) });
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
      try {
        await this.#producer.send({ messages: batch.flatMap(({ messages }) => messages) });
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.#sending = false;
  }
}
