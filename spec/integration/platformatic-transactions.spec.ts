/**
 * The @platformatic/kafka transactional producer against the broker: what the library does by itself where the
 * adapter works around it, then the adapter (lib/kafka/platformatic/platformatic-transactional-producer.ts).
 * It runs whichever driver the other specs run on: it is the platformatic adapter's own proof.
 */
import { expect } from 'chai';
import type { Kafka } from 'kafkajs';
import { RxKafkaError } from '../../lib/errors';
import type { KafkaDriver } from '../../lib/kafka/kafka-driver';
import type { PlatformaticKafka } from '../../lib/kafka/platformatic/platformatic-library';
import { createPlatformaticDriver } from '../../lib/kafka/platformatic/platformatic-driver';
import { isPlatformaticProducerFenced } from '../../lib/kafka/platformatic/platformatic-producer-fenced';
import { silentLogger } from '../../lib/logger';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName } from '../support/kafka-fixtures';

describe('the platformatic transactional producer (broker)', function () {
  this.timeout(60_000);
  let kafka: Kafka;
  let brokers: string[];
  let driver: KafkaDriver;
  let library: PlatformaticKafka;

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    kafka = await testKafka();
    driver = createPlatformaticDriver({ brokers, clientId: uniqueName('plt-eos') }, silentLogger);
    library = driver.native as PlatformaticKafka;
  });

  /** What a read_committed reader of `topic` sees within `ms` (it stops early once it saw `until`). */
  const readCommitted = async (topic: string, until: string, ms = 20_000): Promise<string[]> => {
    const seen: string[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('plt-eos-reader') });
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    try {
      const deadline = Date.now() + ms;
      while (!seen.includes(until) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // A little longer: an aborted record would arrive by now if it were visible.
      await new Promise((r) => setTimeout(r, 500));
      return seen;
    } finally {
      await reader.disconnect();
    }
  };

  context('with @platformatic/kafka alone', () => {
    it('a second producer of a transactional id is refused as fenced: its InitProducerId names producer id 0, epoch 0', async () => {
      const raw = (transactionalId: string) =>
        new library.Producer({
          clientId: uniqueName('plt-raw'),
          bootstrapBrokers: brokers,
          transactionalId,
          idempotent: true,
        });
      // Producer id 0 is taken by now (by this one if no one else took it), so the id below never has it.
      const first = raw(uniqueName('plt-raw-first'));
      await (await first.beginTransaction()).cancel();
      const transactionalId = uniqueName('plt-raw-tx');
      const older = raw(transactionalId);
      const newer = raw(transactionalId);
      try {
        await (await older.beginTransaction()).cancel();
        expect(older.producerId).to.not.equal(0n);
        const refused = await newer.beginTransaction().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isPlatformaticProducerFenced(refused), String(refused)).to.equal(true);
      } finally {
        await Promise.all([first.close(), older.close(), newer.close()]);
      }
    });
  });

  context('through the adapter', () => {
    it('connect() fences the older producer: its commit fails with RXK_PRODUCER_FENCED, its record is never read', async () => {
      const transactionalId = uniqueName('plt-eos-tx');
      const [topic] = await createTopics([{ topic: uniqueName('plt-eos-fence'), numPartitions: 1 }]);
      const older = driver.createTransactionalProducer({ transactionalId });
      await older.connect();
      const open = await older.transaction();
      await open.sendBatch({ topicMessages: [{ topic, messages: [{ value: 'aborted' }] }] });
      const newer = driver.createTransactionalProducer({ transactionalId });
      await newer.connect();
      try {
        const failure = await open.commit().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(RxKafkaError.isRxKafkaError(failure), String(failure)).to.equal(true);
        expect((failure as RxKafkaError).code).to.equal('RXK_PRODUCER_FENCED');
        expect((failure as RxKafkaError).message).to.include(transactionalId);
        const committed = await newer.transaction();
        await committed.sendBatch({ topicMessages: [{ topic, messages: [{ value: 'committed' }] }] });
        await committed.commit();
      } finally {
        await Promise.all([older.disconnect(), newer.disconnect()]);
      }
      expect(await readCommitted(topic, 'committed')).to.deep.equal(['committed']);
    });

    it('commits records and a group offset together, without a consumer of the group; an abort commits neither', async () => {
      const [input, output] = await createTopics([
        { topic: uniqueName('plt-eos-in'), numPartitions: 2 },
        { topic: uniqueName('plt-eos-out'), numPartitions: 1 },
      ]);
      const group = uniqueName('plt-eos-group');
      const producer = driver.createTransactionalProducer({ transactionalId: uniqueName('plt-eos-tx') });
      await producer.connect();
      const offsetsOf = (offset: string) => ({
        topics: [{ topic: input, partitions: [{ partition: 1, offset }] }],
      });
      try {
        const aborted = await producer.transaction();
        await aborted.sendBatch({ topicMessages: [{ topic: output, messages: [{ value: 'aborted' }] }] });
        await aborted.sendOffsets(group, offsetsOf('7'));
        await aborted.abort();
        const committed = await producer.transaction();
        const written = await committed.sendBatch({
          topicMessages: [{ topic: output, messages: [{ key: 'k', value: 'committed' }] }],
        });
        await committed.sendOffsets(group, offsetsOf('5'));
        await committed.commit();
        expect(written.map(({ topicName, partition }) => [topicName, partition])).to.deep.equal([
          [output, 0],
        ]);
      } finally {
        await producer.disconnect();
      }
      expect(await driver.fetchCommittedOffsets(group, input)).to.deep.include({ partition: 1, offset: '5' });
      expect(await readCommitted(output, 'committed')).to.deep.equal(['committed']);
    });

    it('runs 30 back-to-back offsets-only transactions, each committed (CONCURRENT_TRANSACTIONS waited out)', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('plt-eos-offsets'), numPartitions: 1 }]);
      const group = uniqueName('plt-eos-offsets-group');
      const producer = driver.createTransactionalProducer({ transactionalId: uniqueName('plt-eos-tx') });
      await producer.connect();
      const started = Date.now();
      try {
        for (let offset = 1; offset <= 30; offset++) {
          const transaction = await producer.transaction();
          await transaction.sendOffsets(group, {
            topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
          });
          await transaction.commit();
        }
      } finally {
        await producer.disconnect();
      }
      process.stdout.write(`      [platformatic] 30 offsets-only transactions: ${Date.now() - started} ms\n`);
      expect(await driver.fetchCommittedOffsets(group, topic)).to.deep.equal([
        { partition: 0, offset: '30' },
      ]);
    });
  });
});
