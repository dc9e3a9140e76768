import { Kafka, logLevel, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { BenchEvent } from '../bench-event';
import { runWithConcurrency } from '../run-with-concurrency';
import type { Closable, EventConsumerConfig, EventHandler, Implementation } from './implementation';

/** Partitions of the benchmark topics: every one of them is processed at once. */
const PARTITIONS_CONSUMED_CONCURRENTLY = 8;
/** Keys of one batch in flight at once: rxkafka's default `maxInFlightPerPartition`, for a like-for-like bound. */
const KEYS_IN_FLIGHT_PER_PARTITION = 64;

/**
 * Raw kafkajs, hand-written the way one would for speed: `eachBatch`, one `JSON.parse` per record, offsets
 * resolved per record (per batch with key concurrency). The practical ceiling for a kafkajs-based runtime.
 * It has no request/reply.
 */
export const kafkajsImplementation: Implementation = { startEventConsumer };

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
