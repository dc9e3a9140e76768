import { expect } from 'chai';
import { PartitionProducers } from '../../lib/exactly-once/partition-producers';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

describe('PartitionProducers (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let logger: RecordingLogger;
  let producers: PartitionProducers;

  beforeEach(() => {
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
    producers = new PartitionProducers(driver, 'billing-tx', { transactionTimeout: 30_000 }, logger);
  });

  describe('.acquire()', () => {
    it('creates, connects and fences one producer per partition, named after it, and reuses it', async () => {
      const first = await producers.acquire('orders', 0);
      const again = await producers.acquire('orders', 0);
      const other = await producers.acquire('orders', 1);
      expect(first.fresh).to.equal(true);
      expect(again).to.include({ producer: first.producer, fresh: false });
      expect(other.fresh).to.equal(true);
      expect(driver.transactionalProducers.map(({ transactionalId }) => transactionalId)).to.deep.equal([
        'billing-tx-orders-0',
        'billing-tx-orders-1',
      ]);
      expect(driver.transactionalProducers.every(({ connected }) => connected)).to.equal(true);
      expect(driver.transactionalProducers[0].settings.librarySettings).to.deep.equal({
        transactionTimeout: 30_000,
      });
      expect(producers.size).to.equal(2);
    });

    it('disconnects a producer whose connect failed, keeps nothing, and rejects with the error', async () => {
      const refused = new Error('coordinator not available');
      const create = driver.createTransactionalProducer.bind(driver);
      driver.createTransactionalProducer = (settings) => {
        const producer = create(settings);
        producer.connect = async () => {
          producer.connected = true;
          throw refused;
        };
        return producer;
      };
      const failed = await producers.acquire('orders', 0).catch((error: unknown) => error);
      expect(failed).to.equal(refused);
      expect(driver.transactionalProducers[0].connected).to.equal(false);
      expect(producers.size).to.equal(0);
    });
  });

  describe('.discard()', () => {
    it('disconnects the partition’s producer, so the next acquire() fences a new one', async () => {
      const { producer } = await producers.acquire('orders', 0);
      await producers.discard('orders', 0);
      expect(driver.transactionalProducers[0].connected).to.equal(false);
      const next = await producers.acquire('orders', 0);
      expect(next.fresh).to.equal(true);
      expect(next.producer).to.not.equal(producer);
      expect(driver.transactionalProducers[0].fenced).to.equal(true);
    });
  });

  describe('.reassigned()', () => {
    it('disconnects the producers of partitions no longer assigned and makes the kept ones anew', async () => {
      const kept = await producers.acquire('orders', 0);
      const one = await producers.acquire('orders', 1);
      const refunds = await producers.acquire('refunds', 0);
      // Their batches are over.
      for (const acquired of [kept, one, refunds]) acquired.release();
      producers.reassigned({ orders: [0, 2] });
      const [zero, oneProducer, refundsProducer] = driver.transactionalProducers;
      expect(oneProducer.connected).to.equal(false);
      expect(refundsProducer.connected).to.equal(false);
      expect(zero.connected, 'kept until its next batch').to.equal(true);
      const again = await producers.acquire('orders', 0);
      expect(again.fresh).to.equal(true);
      expect(again.producer).to.not.equal(kept.producer);
      expect(zero.connected).to.equal(false);
    });
  });

  describe('.release()', () => {
    it('keeps the producer of a partition that left while a batch held it, until that batch releases it', async () => {
      const held = await producers.acquire('orders', 0);
      const idle = await producers.acquire('orders', 1);
      idle.release();
      producers.reassigned({ orders: [] });
      const [zero, one] = driver.transactionalProducers;
      expect(one.connected, 'no batch held it').to.equal(false);
      expect(zero.connected, 'its batch may still commit').to.equal(true);
      expect(producers.size).to.equal(0);
      held.release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(zero.connected).to.equal(false);
    });

    it('disconnects a released producer only once, and leaves a kept partition’s producer alone', async () => {
      const first = await producers.acquire('orders', 0);
      first.release();
      first.release();
      producers.reassigned({ orders: [0] });
      expect(driver.transactionalProducers[0].connected, 'kept until its next batch').to.equal(true);
      const held = await producers.acquire('refunds', 0);
      producers.reassigned({ orders: [0] });
      await producers.closeAll();
      expect(driver.transactionalProducers.every(({ connected }) => !connected)).to.equal(true);
      held.release();
      expect(logger.find('warn', 'could not disconnect')).to.have.length(0);
    });
  });

  describe('.closeAll()', () => {
    it('disconnects every producer, also those a reassignment is still disconnecting', async () => {
      await producers.acquire('orders', 0);
      (await producers.acquire('orders', 1)).release();
      const [, one] = driver.transactionalProducers;
      let released!: () => void;
      one.disconnect = () =>
        new Promise<void>((resolve) => {
          released = () => {
            one.connected = false;
            resolve();
          };
        });
      producers.reassigned({ orders: [0] });
      let closed = false;
      const closing = producers.closeAll().then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).to.equal(false);
      released();
      await closing;
      expect(driver.transactionalProducers.every(({ connected }) => !connected)).to.equal(true);
      expect(producers.size).to.equal(0);
    });

    it('logs a producer that fails to disconnect, and still resolves', async () => {
      await producers.acquire('orders', 0);
      driver.transactionalProducers[0].disconnect = async () => {
        throw new Error('socket closed');
      };
      await producers.closeAll();
      expect(
        logger.find('warn', 'could not disconnect the transactional producer billing-tx-orders-0'),
      ).to.have.length(1);
    });
  });
});
