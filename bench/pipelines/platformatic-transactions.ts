import type { Producer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import {
  closeConsumer,
  createRawConsumer,
  groupByPartition,
  loadLibrary,
  readBuffers,
  type RawMessage,
} from '../implementations/platformatic';
import { runWithConcurrency } from '../run-with-concurrency';
import { toOutput, type Pipeline, type PipelineConfig, type PipelineProgress } from './pipeline';

/** Input partitions of one read transformed at once, as the kafkajs loop's `partitionsConsumedConcurrently`. */
const PARTITIONS_TRANSFORMED_CONCURRENTLY = 8;

/**
 * The retry delay of the transactional producers. The coordinator answers CONCURRENT_TRANSACTIONS while it
 * still completes a transactional id's previous transaction, so back-to-back transactions meet it all the
 * time; the library retries it after `retryDelay`, 1 s by default. 20 ms is the kafkajs loop's
 * `initialRetryTime` and rxkafka's delay for it on this library (lib/kafka/platformatic/transactional-retries.ts).
 */
const RETRY_DELAY_MS = 20;

type StringProducer = Producer<string, string, string, string>;
type RawConsumer = ReturnType<typeof createRawConsumer>;

/**
 * A hand-written @platformatic/kafka consume-transform-produce loop, as a careful user would write it on the
 * library's own transactions, with the same work as the kafkajs loop (kafkajs-transactions.ts): the consume
 * stream read a buffer at a time, autocommit off, its partitions transformed 8 at once, one transactional
 * producer per input partition (one transaction at a time is what a producer of this library runs), and per
 * chunk of `batchSize` records one transaction: `beginTransaction()`, `send` the outputs, `addConsumer` and
 * `addOffset` of the chunk's last record (the library commits its offset + 1 with the consumer's generation
 * and member id), `commit`. Its one workaround is the 20 ms retry delay; an idempotent producer of this library
 * retries without end, so no retry loop of its own. It has none of rxkafka's checks: no fencing at start, no
 * committed-offset check after a fence, no abort handling beyond aborting, no poison-record policy.
 */
export const platformaticPipeline: Pipeline = {
  async start(config, progress) {
    const { Producer, stringSerializers } = loadLibrary();
    const producers = new Map<number, StringProducer>();
    const producerOf = (partition: number): StringProducer => {
      let producer = producers.get(partition);
      if (!producer) {
        producer = new Producer({
          clientId: config.groupId,
          bootstrapBrokers: [...config.brokers],
          transactionalId: `${config.groupId}-${config.inputTopic}-${partition}`,
          idempotent: true,
          retryDelay: RETRY_DELAY_MS,
          serializers: stringSerializers,
        });
        producers.set(partition, producer);
      }
      return producer;
    };
    const consumer = createRawConsumer(config);
    // consume() resolves once the consumer has joined its group and was assigned partitions.
    const stream = await consumer.consume({
      topics: [config.inputTopic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    let started = false;
    let failed = false;
    const reading = readBuffers<RawMessage>(stream, async (messages) => {
      // After a failed transaction the run is over: nothing more is transformed.
      if (failed) return;
      if (!started) {
        started = true;
        progress.started();
      }
      const partitions = [...groupByPartition(messages).values()];
      try {
        await runWithConcurrency(partitions.length, PARTITIONS_TRANSFORMED_CONCURRENTLY, (index) =>
          transformPartition(
            config,
            progress,
            consumer,
            producerOf(partitions[index][0].partition),
            partitions[index],
          ),
        );
      } catch (error) {
        failed = true;
        progress.fail(error);
      }
    });
    return {
      close: async () => {
        await closeConsumer(consumer, stream, reading);
        await Promise.all([...producers.values()].map((producer) => producer.close()));
      },
    };
  },
};

/** One input partition's records of a buffer, a transaction per chunk of `batchSize`; a failed one is aborted. */
async function transformPartition(
  config: PipelineConfig,
  progress: PipelineProgress,
  consumer: RawConsumer,
  producer: StringProducer,
  messages: readonly RawMessage[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += config.batchSize) {
    const chunk = messages.slice(start, start + config.batchSize);
    const outputs = chunk.map((message) => {
      const output = toOutput(message.value);
      return { topic: config.outputTopic, key: output.key, value: JSON.stringify(output) };
    });
    const began = performance.now();
    const transaction = await producer.beginTransaction();
    try {
      await transaction.send({ messages: outputs });
      await transaction.addConsumer(consumer);
      await transaction.addOffset(chunk[chunk.length - 1]);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    progress.transaction(performance.now() - began);
    progress.done(chunk.length);
  }
}
