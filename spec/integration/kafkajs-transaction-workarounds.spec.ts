/**
 * The kafkajs transaction workarounds against the broker: each shows the kafkajs 2.2.4 behaviour it works
 * around, then the adapter, which works around it (lib/kafka/kafkajs/send-offsets-retry.ts, fence-at-connect.ts).
 */
import { expect } from 'chai';
import type { Kafka } from 'kafkajs';
import { RxKafkaError } from '../../lib/errors';
import type { KafkaDriver } from '../../lib/kafka/kafka-driver';
import { createKafkajsDriver } from '../../lib/kafka/kafkajs/kafkajs-driver';
import { silentLogger } from '../../lib/logger';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName } from '../support/kafka-fixtures';

interface OpenTransaction {
  sendOffsets(offset: number): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

describe('sendOffsets on CONCURRENT_TRANSACTIONS (kafkajs #430/#1068; broker)', () => {
  context('with back-to-back offsets-only transactions', function () {
    this.timeout(60_000);
    let kafka: Kafka;
    let topic: string;

    before(async () => {
      kafka = await testKafka();
      [topic] = await createTopics([{ topic: uniqueName('eos-offsets'), numPartitions: 1 }]);
    });

    /** Runs `count` transactions that each commit only an offset; returns how many failed (and were aborted). */
    const offsetsOnly = async (
      count: number,
      transaction: () => Promise<OpenTransaction>,
    ): Promise<number> => {
      let failed = 0;
      for (let offset = 1; offset <= count; offset++) {
        const open = await transaction();
        try {
          await open.sendOffsets(offset);
          await open.commit();
        } catch {
          failed += 1;
          await open.abort();
        }
      }
      return failed;
    };

    // Measured here: 4 to 24 of 30 failed per run; 100 make a run without any failure very unlikely.
    it('fail now and then with kafkajs alone (within 100: CONCURRENT_TRANSACTIONS is not retried)', async () => {
      const producer = kafka.producer({
        transactionalId: uniqueName('eos-raw'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const group = uniqueName('eos-raw-group');
      try {
        const failed = await offsetsOnly(100, async () => {
          const transaction = await producer.transaction();
          return {
            sendOffsets: (offset) =>
              transaction.sendOffsets({
                consumerGroupId: group,
                topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
              }),
            commit: () => transaction.commit(),
            abort: () => transaction.abort(),
          };
        });
        expect(failed).to.be.above(0);
      } finally {
        await producer.disconnect();
      }
    });

    it('all commit through the adapter', async () => {
      const { brokers } = await useTestBroker();
      const driver = createKafkajsDriver(
        { brokers: [...brokers], clientId: uniqueName('eos') },
        silentLogger,
      );
      const producer = driver.createTransactionalProducer({ transactionalId: uniqueName('eos-adapter') });
      await producer.connect();
      const group = uniqueName('eos-adapter-group');
      try {
        const failed = await offsetsOnly(30, async () => {
          const transaction = await producer.transaction();
          return {
            sendOffsets: (offset) =>
              transaction.sendOffsets(group, {
                topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
              }),
            commit: () => transaction.commit(),
            abort: () => transaction.abort(),
          };
        });
        expect(failed).to.equal(0);
        expect(await driver.fetchCommittedOffsets(group, topic)).to.deep.equal([
          { partition: 0, offset: '30' },
        ]);
      } finally {
        await producer.disconnect();
      }
    });
  });
});

describe('fenceOlderProducers() (kafkajs fences only at the first transaction)', function () {
  this.timeout(60_000);
  let kafka: Kafka;
  let driver: KafkaDriver;
  let topic: string;

  before(async () => {
    const { brokers } = await useTestBroker();
    kafka = await testKafka();
    driver = createKafkajsDriver({ brokers: [...brokers], clientId: uniqueName('eos') }, silentLogger);
    [topic] = await createTopics([{ topic: uniqueName('eos-fence'), numPartitions: 1 }]);
  });

  /** An older producer of `transactionalId` with a transaction open (one record sent). */
  const olderWithOpenTransaction = async (transactionalId: string) => {
    const older = driver.createTransactionalProducer({ transactionalId });
    await older.connect();
    const transaction = await older.transaction();
    await transaction.sendBatch({
      topicMessages: [{ topic, messages: [{ value: 'from the older producer' }] }],
    });
    return { older, transaction };
  };

  context('with kafkajs alone', () => {
    it('a newly connected producer of the same id does not fence the older one: its commit succeeds', async () => {
      const transactionalId = uniqueName('eos-tx');
      const { older, transaction } = await olderWithOpenTransaction(transactionalId);
      const newer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
      await newer.connect();
      try {
        await transaction.commit();
      } finally {
        await Promise.all([older.disconnect(), newer.disconnect()]);
      }
    });
  });

  context('through the adapter', () => {
    it('connect() fences the older producer before any transaction: its commit fails with RXK_PRODUCER_FENCED', async () => {
      const transactionalId = uniqueName('eos-tx');
      const { older, transaction } = await olderWithOpenTransaction(transactionalId);
      const newer = driver.createTransactionalProducer({ transactionalId });
      await newer.connect();
      try {
        const failure = await transaction.commit().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(RxKafkaError.isRxKafkaError(failure)).to.equal(true);
        expect((failure as RxKafkaError).code).to.equal('RXK_PRODUCER_FENCED');
        expect((failure as RxKafkaError).message).to.include(transactionalId);
      } finally {
        await Promise.all([older.disconnect(), newer.disconnect()]);
      }
    });

    it('the older producer’s open transaction is aborted: a read_committed reader never sees its record', async () => {
      const transactionalId = uniqueName('eos-tx');
      const [own] = await createTopics([{ topic: uniqueName('eos-fence-own'), numPartitions: 1 }]);
      const older = driver.createTransactionalProducer({ transactionalId });
      await older.connect();
      const open = await older.transaction();
      await open.sendBatch({ topicMessages: [{ topic: own, messages: [{ value: 'aborted' }] }] });
      const newer = driver.createTransactionalProducer({ transactionalId });
      await newer.connect();
      const committed = await newer.transaction();
      await committed.sendBatch({ topicMessages: [{ topic: own, messages: [{ value: 'committed' }] }] });
      await committed.commit();
      await Promise.all([older.disconnect(), newer.disconnect()]);

      const seen: string[] = [];
      const reader = kafka.consumer({ groupId: uniqueName('eos-fence-reader') });
      await reader.connect();
      await reader.subscribe({ topics: [own], fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      try {
        const deadline = Date.now() + 20_000;
        while (!seen.includes('committed') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        expect(seen).to.deep.equal(['committed']);
      } finally {
        await reader.disconnect();
      }
    });
  });
});
