/**
 * One exactly-once processor in its own process, for the crash and zombie specs: reads EOS_INPUT in group
 * EOS_GROUP, and for each input `{ id }` writes `{ id, member }` (key `id`) to EOS_OUTPUT, waiting
 * EOS_DELAY_MS per record so that a kill lands mid-stream. Logs (warnings and errors) go to stdout; prints
 * "ready" once assigned; on SIGTERM it closes and prints the report. With EOS_KILL_IN_TRANSACTION=n it
 * SIGKILLs itself inside its n-th transaction, after the outputs were sent and before the commit. Runs on
 * the spec's driver (RXKAFKA_DRIVER, which the member inherits).
 */
import { processExactlyOnce, createStreamLogger, type KafkaDriver } from '../../../lib';
import { createDriver } from '../../../lib/options/create-driver';
import { specDriver } from '../../support/spec-driver';

const {
  KAFKA_BROKERS = '',
  EOS_INPUT = '',
  EOS_OUTPUT = '',
  EOS_GROUP = '',
  EOS_PREFIX = '',
  EOS_MEMBER = 'member',
  EOS_DELAY_MS = '0',
  EOS_KILL_IN_TRANSACTION = '0',
} = process.env;

const delayMs = Number(EOS_DELAY_MS);

/** The spec's driver, whose n-th transaction kills the process between its send and its commit. */
function killingInTransaction(driver: KafkaDriver, n: number): KafkaDriver {
  let transactions = 0;
  return {
    createProducer: (settings) => driver.createProducer(settings),
    createConsumer: (settings) => driver.createConsumer(settings),
    fetchEndOffsets: (topic) => driver.fetchEndOffsets(topic),
    fetchCommittedOffsets: (groupId, topic) => driver.fetchCommittedOffsets(groupId, topic),
    fetchStartOffsets: (topic) => driver.fetchStartOffsets(topic),
    fetchOffsetsAtTime: (topic, timestampMs) => driver.fetchOffsetsAtTime(topic, timestampMs),
    deleteGroup: (groupId) => driver.deleteGroup(groupId),
    createTopicIfMissing: (topic, configs) => driver.createTopicIfMissing(topic, configs),
    native: driver.native,
    classifySendError: (error) => driver.classifySendError(error),
    createTransactionalProducer: (settings) => {
      const producer = driver.createTransactionalProducer(settings);
      return {
        transactionalId: producer.transactionalId,
        native: producer.native,
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        transaction: async () => {
          const transaction = await producer.transaction();
          transactions += 1;
          const doomed = transactions === n;
          return {
            sendBatch: async (request) => {
              const written = await transaction.sendBatch(request);
              if (doomed) process.kill(process.pid, 'SIGKILL');
              return written;
            },
            sendOffsets: (groupId, offsets) => transaction.sendOffsets(groupId, offsets),
            commit: () => transaction.commit(),
            abort: () => transaction.abort(),
          };
        },
      };
    },
  };
}

async function main(): Promise<void> {
  const logger = createStreamLogger('warn', process.stdout, EOS_MEMBER);
  const client = { brokers: KAFKA_BROKERS.split(','), clientId: EOS_MEMBER };
  const killAt = Number(EOS_KILL_IN_TRANSACTION);
  const { driver: named } = specDriver();
  const driver = killAt > 0 ? killingInTransaction(createDriver(named, client, logger), killAt) : named;
  const processor = processExactlyOnce({
    client,
    driver,
    groupId: EOS_GROUP,
    topics: [EOS_INPUT],
    transactionalIdPrefix: EOS_PREFIX,
    fromBeginning: true,
    maxBatchRecords: 50,
    // The smallest session Kafka allows by default: a killed or paused member is replaced after it.
    consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 10_000 },
    logger,
    transform: async ({ message }) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const { id } = JSON.parse(String(message.value)) as { id: number };
      return { topic: EOS_OUTPUT, key: String(id), value: { id, member: EOS_MEMBER } };
    },
  });
  await processor.start();
  process.stdout.write('ready\n');
  // EOS_DIAGNOSE=1: the member's state, figures and partition actors every 5 s, for a spec that times out.
  if (process.env.EOS_DIAGNOSE)
    setInterval(() => {
      const partitions = processor.connection.partitions.map(({ id, state, context }) => ({
        id,
        state,
        ...context,
      }));
      process.stdout.write(
        `diag ${processor.connection.state} ${JSON.stringify(processor.stats)} ${JSON.stringify(partitions)}\n`,
      );
    }, 5_000).unref();
  process.once('SIGTERM', () => {
    void processor.close().then((report) => {
      process.stdout.write(`closed ${JSON.stringify(report)}\n`);
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stdout.write(`failed ${String(error)}\n`);
  process.exit(1);
});
