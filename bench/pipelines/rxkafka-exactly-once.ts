import { createStreamLogger, processExactlyOnce } from '../../lib';
import { toOutput, type Pipeline } from './pipeline';

/** rxkafka's exactly-once processor, as a user would run it. */
export const exactlyOncePipeline: Pipeline = createExactlyOncePipeline();

/** `exactlyOncePipeline` on @platformatic/kafka: `driver: 'platformatic'`, nothing else changed. */
export const exactlyOnceOnPlatformatic: Pipeline = createExactlyOncePipeline('platformatic');

/** rxkafka's exactly-once processor on `driver` (kafkajs when absent). */
function createExactlyOncePipeline(driver?: 'platformatic'): Pipeline {
  return {
    async start(config, progress) {
      let started = false;
      const processor = processExactlyOnce({
        client: { brokers: [...config.brokers], clientId: config.groupId },
        ...(driver === undefined ? {} : { driver }),
        groupId: config.groupId,
        topics: [config.inputTopic],
        transactionalIdPrefix: config.groupId,
        fromBeginning: true,
        maxBatchRecords: config.batchSize,
        partitionConcurrency: 8,
        logger: createStreamLogger('error'),
        transform: ({ message }) => {
          if (!started) {
            started = true;
            progress.started();
          }
          const output = toOutput(message.value);
          return { topic: config.outputTopic, key: output.key, value: output };
        },
        onTransactionCommitted: ({ records, durationMs }) => {
          progress.transaction(durationMs);
          progress.done(records);
        },
      });
      void processor.done.then((report) => report.error && progress.fail(report.error));
      await processor.start();
      return { close: async () => void (await processor.close()) };
    },
  };
}
