import { Kafka, logLevel, type Producer, type ProducerConfig } from 'kafkajs';
import { toOutput, type Pipeline } from './pipeline';

/**
 * A hand-written kafkajs consume-transform-produce loop, as a careful user would write it: eachBatch with
 * autoCommit off, one transactional producer per input partition (kafkajs has no KIP-447), and per chunk
 * of `batchSize` records one transaction: send the outputs, sendOffsets, commit, then resolveOffset. To
 * be a fair baseline it carries the same two kafkajs workarounds as rxkafka: `retry.initialRetryTime: 20`
 * (kafkajs's 300 ms first retry of CONCURRENT_TRANSACTIONS otherwise adds up to ~350 ms per transaction)
 * and sendOffsets retried every 20 ms on CONCURRENT_TRANSACTIONS (kafkajs #430, #1068). It has none of
 * rxkafka's checks: no fencing at start, no committed-offset check after a fence, no abort handling
 * beyond aborting, no poison-record policy.
 */
export const kafkajsPipeline: Pipeline = {
  async start(config, progress) {
    const kafka = new Kafka({
      clientId: config.groupId,
      brokers: [...config.brokers],
      // kafkajs logs every CONCURRENT_TRANSACTIONS answer it retries at ERROR; rxkafka logs those at debug.
      logLevel: logLevel.NOTHING,
    });
    const producerConfig = (partition: number): ProducerConfig => ({
      transactionalId: `${config.groupId}-${config.inputTopic}-${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 20 },
    });
    const producers = new Map<number, Promise<Producer>>();
    const producerOf = (partition: number): Promise<Producer> => {
      let producer = producers.get(partition);
      if (!producer) {
        const created = kafka.producer(producerConfig(partition));
        producer = created.connect().then(() => created);
        producers.set(partition, producer);
      }
      return producer;
    };
    const consumer = kafka.consumer({ groupId: config.groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [config.inputTopic], fromBeginning: true });
    let started = false;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (!started) {
          started = true;
          progress.started();
        }
        const producer = await producerOf(batch.partition);
        for (let start = 0; start < batch.messages.length; start += config.batchSize) {
          const chunk = batch.messages.slice(start, start + config.batchSize);
          const messages = chunk.map((message) => {
            const output = toOutput(message.value);
            return { key: output.key, value: JSON.stringify(output) };
          });
          const last = chunk[chunk.length - 1].offset;
          const began = performance.now();
          const transaction = await producer.transaction();
          try {
            await transaction.send({ topic: config.outputTopic, messages });
            await sendOffsetsRetrying(() =>
              transaction.sendOffsets({
                consumerGroupId: config.groupId,
                topics: [
                  {
                    topic: batch.topic,
                    partitions: [{ partition: batch.partition, offset: String(Number(last) + 1) }],
                  },
                ],
              }),
            );
            await transaction.commit();
          } catch (error) {
            await transaction.abort().catch(() => undefined);
            progress.fail(error);
            return;
          }
          progress.transaction(performance.now() - began);
          resolveOffset(last);
          progress.done(chunk.length);
          await heartbeat();
        }
      },
    });
    return {
      close: async () => {
        await consumer.disconnect();
        await Promise.all([...producers.values()].map(async (producer) => (await producer).disconnect()));
      },
    };
  },
};

/** Retries `send` every 20 ms while it fails with CONCURRENT_TRANSACTIONS (Kafka error 51), for 10 s at most. */
async function sendOffsetsRetrying(send: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      const code = (error as { code?: unknown; type?: unknown }).type;
      if (code !== 'CONCURRENT_TRANSACTIONS' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
