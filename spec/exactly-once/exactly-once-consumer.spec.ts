import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import {
  ExactlyOnceConsumer,
  type ExactlyOnceConsumerOptions,
} from '../../lib/exactly-once/exactly-once-consumer';
import type { ExactlyOnceSettings } from '../../lib/exactly-once/exactly-once-settings';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const TOPIC = 'orders';
const GROUP = 'billing';

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ExactlyOnceConsumer (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let logger: RecordingLogger;
  const open: ExactlyOnceConsumer[] = [];

  const createConsumer = (
    settings: Partial<ExactlyOnceSettings> = {},
    options: Partial<ExactlyOnceConsumerOptions> = {},
  ): ExactlyOnceConsumer => {
    const consumer = new ExactlyOnceConsumer({
      driver,
      clientId: 'billing-eos',
      topics: [TOPIC],
      fromBeginning: false,
      consumerSettings: { readUncommitted: false },
      partitionConcurrency: 4,
      transactionalIdPrefix: 'billing-tx',
      producerSettings: {},
      settings: {
        groupId: GROUP,
        transform: ({ message }) => ({ topic: 'invoices', value: String(message.value) }),
        onTransformFailure: () => 'stop',
        maxBatchRecords: 500,
        retryDelayMs: 1,
        maxRetryDelayMs: 1,
        onTransactionCommitted: undefined,
        logger,
        ...settings,
      },
      onPoisonRecord: () => undefined,
      ...options,
    });
    open.push(consumer);
    return consumer;
  };

  beforeEach(() => {
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    for (const consumer of open.splice(0)) {
      await consumer.close('abandon');
      consumer.dispose();
    }
  });

  describe('.connect()', () => {
    it('joins the group and commits offsets only inside transactions, never through the consumer', async () => {
      const consumer = createConsumer();
      await consumer.connect();
      expect(driver.consumer.settings.groupId).to.equal(GROUP);
      expect(driver.consumer.settings.librarySettings).to.deep.equal({ readUncommitted: false });
      await driver.consumer.deliver(TOPIC, 0, [{ value: 'a' }, { value: 'b' }]);
      expect(driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('2');
      expect(driver.consumer.commits).to.deep.equal([]);
      expect(consumer.stats).to.include({ recordsProcessed: 2, transactionsCommitted: 1 });
    });

    it('fails before it joins when the driver refuses the transactional ids', async () => {
      const checked: string[] = [];
      Object.assign(driver, {
        checkTransactionalIdAccess: async (prefix: string) => {
          checked.push(prefix);
          throw new RxKafkaError(
            'RXK_NOT_AUTHORIZED',
            `not authorized to use the transactional ids ${prefix}-*`,
          );
        },
      });
      const consumer = createConsumer();
      const failed = await consumer.connect().catch((error: unknown) => error);
      expect(checked).to.deep.equal(['billing-tx']);
      expect(failed).to.be.instanceOf(RxKafkaError).with.property('code', 'RXK_NOT_AUTHORIZED');
      expect(driver.consumer.connected).to.equal(false);
    });
  });

  context('when the group rejoins', () => {
    it('makes a kept partition’s producer anew at its next batch, fencing the one made before the join', async () => {
      const consumer = createConsumer();
      await consumer.connect();
      await driver.consumer.deliver(TOPIC, 0, [{ value: 'a' }]);
      const [before] = driver.transactionalProducers;
      // Same partitions: another member may still have owned partition 0 in between.
      driver.consumer.rebalance({ [TOPIC]: [0] });
      await settle();
      await driver.consumer.deliver(TOPIC, 0, [{ value: 'b' }]);
      expect(driver.transactionalProducers.map(({ transactionalId }) => transactionalId)).to.deep.equal([
        'billing-tx-orders-0',
        'billing-tx-orders-0',
      ]);
      expect(before.connected).to.equal(false);
      expect(before.fenced).to.equal(true);
      expect(
        driver.transactions.map(({ transactionalId, outcome }) => [transactionalId, outcome]),
      ).to.deep.equal([
        ['billing-tx-orders-0', 'committed'],
        ['billing-tx-orders-0', 'committed'],
      ]);
    });

    it('disconnects the producer of a partition it lost at once, without waiting for a batch', async () => {
      const consumer = createConsumer();
      driver.consumer.assignment = { [TOPIC]: [0, 1] };
      await consumer.connect();
      await driver.consumer.deliver(TOPIC, 0, [{ value: 'a' }]);
      await driver.consumer.deliver(TOPIC, 1, [{ value: 'b' }]);
      const [zero, one] = driver.transactionalProducers;
      driver.consumer.rebalance({ [TOPIC]: [0] });
      await settle();
      expect(one.connected).to.equal(false);
      expect(zero.connected).to.equal(true);
    });
  });

  describe('.close()', () => {
    it('lets a running batch commit its transaction, then disconnects every producer', async () => {
      const release = deferred<{ topic: string; value: string }>();
      const consumer = createConsumer({ transform: () => release.promise });
      await consumer.connect();
      const delivered = driver.consumer.deliver(TOPIC, 0, [{ value: 'a' }]);
      await settle();
      let closed = false;
      const closing = consumer.close('drain').then((result) => {
        closed = true;
        return result;
      });
      await settle();
      expect(closed, 'close() waits for the running transaction').to.equal(false);
      release.resolve({ topic: 'invoices', value: 'a' });
      expect(await closing).to.deep.equal({ mode: 'drain', timedOut: false });
      await delivered;
      expect(driver.transactions.map(({ outcome }) => outcome)).to.deep.equal(['committed']);
      expect(driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('1');
      expect(driver.transactionalProducers.every(({ connected }) => !connected)).to.equal(true);
    });

    it('abandoning, commits nothing of a running batch', async () => {
      const release = deferred<{ topic: string; value: string }>();
      const consumer = createConsumer({ transform: () => release.promise });
      await consumer.connect();
      const delivered = driver.consumer.deliver(TOPIC, 0, [{ value: 'a' }]);
      await settle();
      const closing = consumer.close('abandon');
      release.resolve({ topic: 'invoices', value: 'a' });
      await closing;
      await delivered;
      expect(driver.transactions).to.deep.equal([]);
      expect(driver.groupOffsets.has(`${GROUP} ${TOPIC}/0`)).to.equal(false);
      expect(driver.transactionalProducers.every(({ connected }) => !connected)).to.equal(true);
    });
  });
});
