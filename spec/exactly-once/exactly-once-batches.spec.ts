import { expect } from 'chai';
import type { DispatchMode } from '../../lib/connection/kafka-connection';
import { PartitionProgressBook } from '../../lib/offsets/partition-progress';
import { RxKafkaError } from '../../lib/errors';
import { ExactlyOnceBatches } from '../../lib/exactly-once/exactly-once-batches';
import type { ExactlyOnceSettings, TransactionCommitted } from '../../lib/exactly-once/exactly-once-settings';
import { PartitionProducers } from '../../lib/exactly-once/partition-producers';
import type { TopicRecord } from '../../lib/exactly-once/transform-outputs';
import type { FetchedBatch, TopicPartitionOffsets } from '../../lib/kafka/fetched-batch';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const TOPIC = 'orders';
const GROUP = 'billing';

/** A fetched batch the spec controls: what the batches resolve, and whether it is still running or stale. */
interface ControlledBatch extends FetchedBatch {
  /** Every resolveOffset() call, in order, with the number of transactions that had ended by then. */
  readonly resolved: Array<{ offset: string; transactionsEnded: number }>;
  running: boolean;
  stale: boolean;
  /** Heartbeats fail from now on (a rebalance revoked the batch). */
  revoked: boolean;
}

interface Fixture {
  readonly driver: FakeKafkaDriver;
  readonly logger: RecordingLogger;
  readonly batches: ExactlyOnceBatches;
  readonly producers: PartitionProducers;
  readonly progress: PartitionProgressBook;
  readonly seeks: Array<{ topic: string; partition: number; offset: string }>;
  readonly poisoned: RxKafkaError[];
  readonly committed: TransactionCommitted[];
  /** What onCommitted was told, in order: the group offsets each committed transaction carried. */
  readonly offsetsCommitted: TopicPartitionOffsets[];
  mode: DispatchMode;
  /** A batch of `values` on `partition`, at offsets `first`, `first + 1`, … */
  fetched(partition: number, values: readonly string[], first?: number): ControlledBatch;
}

function createFixture(settings: Partial<ExactlyOnceSettings> = {}): Fixture {
  const driver = new FakeKafkaDriver();
  const logger = new RecordingLogger();
  const producers = new PartitionProducers(driver, 'billing-tx', undefined, logger);
  const progress = new PartitionProgressBook();
  const fixture: Omit<Fixture, 'batches'> & { batches?: ExactlyOnceBatches } = {
    driver,
    logger,
    producers,
    progress,
    seeks: [],
    poisoned: [],
    committed: [],
    offsetsCommitted: [],
    mode: 'running',
    fetched: (partition, values, first = 0) => {
      const batch: ControlledBatch = {
        batch: {
          topic: TOPIC,
          partition,
          highWatermark: String(first + values.length),
          messages: values.map((value, index) => ({
            key: null,
            value: Buffer.from(value),
            headers: {},
            offset: String(first + index),
            timestamp: '1700000000000',
            attributes: 0,
          })),
        },
        resolved: [],
        running: true,
        stale: false,
        revoked: false,
        resolveOffset: (offset) =>
          batch.resolved.push({ offset, transactionsEnded: driver.transactions.length }),
        heartbeat: async () => {
          if (batch.revoked) throw new Error('The group is rebalancing, so a rejoin is needed');
        },
        isRunning: () => batch.running,
        isStale: () => batch.stale,
        uncommittedOffsets: () => ({ topics: [] }),
        commitOffsetsIfNecessary: async () => undefined,
      };
      return batch;
    },
  };
  fixture.batches = new ExactlyOnceBatches({
    options: {
      groupId: GROUP,
      transform: ({ message }) => ({ topic: 'invoices', value: `invoice ${String(message.value)}` }),
      onTransformFailure: () => 'stop',
      maxBatchRecords: 500,
      retryDelayMs: 1,
      maxRetryDelayMs: 1,
      onTransactionCommitted: (event) => fixture.committed.push(event),
      logger,
      ...settings,
    },
    driver,
    producers,
    dispatchMode: () => fixture.mode,
    seek: (topic, partition, offset) => fixture.seeks.push({ topic, partition, offset }),
    progress,
    onPoisonRecord: (error) => fixture.poisoned.push(error),
    onCommitted: (offsets) => fixture.offsetsCommitted.push(offsets),
  });
  return fixture as Fixture;
}

const valuesOf = (records: ReadonlyArray<{ record: { value: unknown } }>): string[] =>
  records.map(({ record }) => String(record.value));

const committedOffsetOf = (transaction: FakeKafkaDriver['transactions'][number]): string | undefined =>
  transaction.offsets[0]?.offsets.topics[0].partitions[0].offset;

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

describe('ExactlyOnceBatches (on a fake driver)', () => {
  describe('.eachBatch()', () => {
    it('resolves the batch’s last offset only after its transaction committed, never before', async () => {
      const fixture = createFixture();
      const batch = fixture.fetched(0, ['a', 'b']);
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactions.map(({ outcome }) => outcome)).to.deep.equal(['committed']);
      expect(batch.resolved).to.deep.equal([{ offset: '1', transactionsEnded: 1 }]);
      expect(committedOffsetOf(fixture.driver.transactions[0])).to.equal('2');
      expect(fixture.committed).to.have.length(1);
      expect(fixture.committed[0]).to.include({ topic: TOPIC, partition: 0, records: 2, outputs: 2 });
      expect(fixture.batches.stats).to.include({
        recordsProcessed: 2,
        outputsProduced: 2,
        transactionsCommitted: 1,
      });
    });

    it('produces the outputs in record order, and commits chunks in offset order', async () => {
      const transformed: string[] = [];
      const fixture = createFixture({
        maxBatchRecords: 2,
        transform: ({ message }) => {
          transformed.push(`${String(message.value)} after ${fixture.driver.transactions.length}`);
          return [
            { topic: 'invoices', value: `${String(message.value)}1` },
            { topic: 'invoices', value: `${String(message.value)}2` },
          ];
        },
      });
      await fixture.batches.eachBatch(fixture.fetched(0, ['a', 'b', 'c']));
      expect(fixture.driver.transactions.map(({ records }) => valuesOf(records))).to.deep.equal([
        ['a1', 'a2', 'b1', 'b2'],
        ['c1', 'c2'],
      ]);
      expect(fixture.driver.transactions.map(committedOffsetOf)).to.deep.equal(['2', '3']);
      // The second chunk is transformed only once the first committed.
      expect(transformed).to.deep.equal(['a after 0', 'b after 0', 'c after 1']);
    });

    it('tells onCommitted the offsets each transaction committed, after its commit, and nothing for an aborted one', async () => {
      const fixture = createFixture({ maxBatchRecords: 2 });
      await fixture.batches.eachBatch(fixture.fetched(0, ['a', 'b', 'c']));
      const [producer] = fixture.driver.transactionalProducers;
      producer.failNext = { step: 'commit', error: new Error('coordinator moved') };
      await fixture.batches.eachBatch(fixture.fetched(0, ['d'], 3));
      expect(fixture.offsetsCommitted).to.deep.equal([
        { topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '2' }] }] },
        { topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '3' }] }] },
      ]);
      expect(fixture.driver.transactions.map(({ outcome }) => outcome)).to.deep.equal([
        'committed',
        'committed',
        'aborted',
      ]);
    });

    it('reports the committed records finished to the partition’s progress', async () => {
      const fixture = createFixture();
      fixture.progress.batchStarted(TOPIC, 0, 3, '3');
      await fixture.batches.eachBatch(fixture.fetched(0, ['a', 'b', 'c']));
      expect(fixture.progress.sample(TOPIC, 0)).to.include({ inFlight: 0, finishedOffset: '2' });
    });

    it('does nothing while the connection is not running (a drain or an abandon began)', async () => {
      const fixture = createFixture();
      fixture.mode = 'drain';
      const batch = fixture.fetched(0, ['a']);
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactionalProducers).to.deep.equal([]);
      expect(batch.resolved).to.deep.equal([]);
    });
  });

  context('when a step of the transaction fails', () => {
    for (const step of ['sendBatch', 'sendOffsets', 'commit'] as const) {
      it(`aborts at ${step}, resolves nothing, seeks back to the first record and drops the producer`, async () => {
        const fixture = createFixture();
        await fixture.batches.eachBatch(fixture.fetched(0, ['a']));
        const [producer] = fixture.driver.transactionalProducers;
        producer.failNext = { step, error: new Error('coordinator moved') };
        const batch = fixture.fetched(0, ['b', 'c'], 1);
        await fixture.batches.eachBatch(batch);
        expect(fixture.driver.transactions.map(({ outcome }) => outcome)).to.deep.equal([
          'committed',
          'aborted',
        ]);
        expect(batch.resolved).to.deep.equal([]);
        expect(fixture.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '1' }]);
        expect(producer.connected).to.equal(false);
        expect(fixture.driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('1');
        expect(fixture.batches.stats).to.include({ transactionsAborted: 1, fenced: 0, recordsProcessed: 1 });
        expect(fixture.logger.find('warn', 'failed: aborted, retrying from offset 1')).to.have.length(1);
      });
    }

    it('fences a new producer for the retry, which commits the same records once', async () => {
      const fixture = createFixture();
      await fixture.batches.eachBatch(fixture.fetched(0, ['a', 'b']));
      fixture.driver.transactionalProducers[0].failNext = { step: 'commit', error: new Error('timeout') };
      await fixture.batches.eachBatch(fixture.fetched(0, ['c'], 2));
      const retry = fixture.fetched(0, ['c'], 2);
      await fixture.batches.eachBatch(retry);
      expect(fixture.driver.transactionalProducers.map(({ epoch }) => epoch)).to.deep.equal([1, 2]);
      expect(
        fixture.driver.transactions.map(({ outcome, records }) => [outcome, valuesOf(records)]),
      ).to.deep.equal([
        ['committed', ['invoice a', 'invoice b']],
        ['aborted', ['invoice c']],
        ['committed', ['invoice c']],
      ]);
      expect(retry.resolved.map(({ offset }) => offset)).to.deep.equal(['2']);
      expect(fixture.driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('3');
    });

    it('counts a fenced producer apart and leaves the records to the partition’s new owner', async () => {
      const fixture = createFixture();
      await fixture.batches.eachBatch(fixture.fetched(0, ['a']));
      // The partition's next owner connects a producer with the same transactional id.
      await fixture.driver.createTransactionalProducer({ transactionalId: 'billing-tx-orders-0' }).connect();
      const batch = fixture.fetched(0, ['b'], 1);
      await fixture.batches.eachBatch(batch);
      expect(batch.resolved).to.deep.equal([]);
      expect(fixture.batches.stats).to.include({
        fenced: 1,
        transactionsAborted: 1,
        transactionsCommitted: 1,
      });
      expect(
        fixture.logger.find('error', "are left to the partition's owner", {
          code: 'RXK_PRODUCER_FENCED',
          offset: '1',
        }),
      ).to.have.length(1);
      expect(fixture.logger.find('warn', 'retrying')).to.deep.equal([]);
    });
  });

  context('when the transform fails', () => {
    const failOn = (poison: string): Partial<ExactlyOnceSettings> => ({
      transform: ({ message }) => {
        if (String(message.value) === poison) throw new Error(`cannot bill ${poison}`);
        return { topic: 'invoices', value: String(message.value) };
      },
    });

    it('writes what onTransformFailure returns in the same transaction, and counts it as a dead letter', async () => {
      const failures: string[] = [];
      const fixture = createFixture({
        ...failOn('b'),
        onTransformFailure: ({ record, error, failure }): TopicRecord[] => {
          failures.push(`${record.offset} ${(error as Error).message} ${failure.code}`);
          return [{ topic: 'orders.dlt', record: { value: record.value } }];
        },
      });
      await fixture.batches.eachBatch(fixture.fetched(0, ['a', 'b', 'c']));
      expect(failures).to.deep.equal(['1 cannot bill b RXK_TRANSFORM_FAILED']);
      const [transaction] = fixture.driver.transactions;
      expect(
        transaction.records.map(({ topic, record }) => `${topic}:${String(record.value)}`),
      ).to.deep.equal(['invoices:a', 'invoices:c', 'orders.dlt:b']);
      expect(fixture.batches.stats).to.include({ recordsProcessed: 3, outputsProduced: 2, deadLetters: 1 });
    });

    it('on stop, commits the records before it, seeks to it, reports it once, and takes no batch after', async () => {
      const fixture = createFixture(failOn('b'));
      const batch = fixture.fetched(0, ['a', 'b', 'c']);
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactions.map(({ records }) => valuesOf(records))).to.deep.equal([['a']]);
      expect(batch.resolved.map(({ offset }) => offset)).to.deep.equal(['0']);
      expect(fixture.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '1' }]);
      expect(fixture.poisoned.map(({ code, message }) => [code, message])).to.deep.equal([
        ['RXK_TRANSFORM_FAILED', 'the transform failed on orders/0 at offset 1 (Error: cannot bill b)'],
      ]);
      await fixture.batches.eachBatch(fixture.fetched(1, ['d']));
      expect(fixture.driver.transactions).to.have.length(1);
      expect(fixture.poisoned).to.have.length(1);
    });

    it('on stop at the first record, commits nothing', async () => {
      const fixture = createFixture(failOn('a'));
      const batch = fixture.fetched(0, ['a', 'b']);
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactions).to.deep.equal([]);
      expect(batch.resolved).to.deep.equal([]);
      expect(fixture.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '0' }]);
    });
  });

  context('when the batch stops being this member’s mid-way', () => {
    it('commits what it transformed before a rebalance made the batch stale, and stops there', async () => {
      const rebalanced = { during: undefined as ControlledBatch | undefined };
      const fixture = createFixture({
        transform: ({ message }) => {
          if (rebalanced.during && String(message.value) === 'b') rebalanced.during.stale = true;
          return { topic: 'invoices', value: String(message.value) };
        },
      });
      const batch = fixture.fetched(0, ['a', 'b', 'c']);
      rebalanced.during = batch;
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactions.map(({ records }) => valuesOf(records))).to.deep.equal([['a', 'b']]);
      expect(batch.resolved.map(({ offset }) => offset)).to.deep.equal(['1']);
      expect(fixture.seeks).to.deep.equal([]);
    });

    it('does not run the next chunk once the heartbeat after a chunk fails', async () => {
      const fixture = createFixture({ maxBatchRecords: 1 });
      const batch = fixture.fetched(0, ['a', 'b']);
      batch.revoked = true;
      await fixture.batches.eachBatch(batch);
      expect(fixture.driver.transactions.map(({ records }) => valuesOf(records))).to.deep.equal([
        ['invoice a'],
      ]);
      expect(batch.resolved.map(({ offset }) => offset)).to.deep.equal(['0']);
    });
  });

  describe('.abandon()', () => {
    it('lets a running batch return without committing what it transformed', async () => {
      const release = deferred<{ topic: string; value: string }>();
      const fixture = createFixture({ transform: () => release.promise });
      const batch = fixture.fetched(0, ['a']);
      const running = fixture.batches.eachBatch(batch);
      await new Promise((resolve) => setImmediate(resolve));
      fixture.batches.abandon();
      release.resolve({ topic: 'invoices', value: 'late' });
      await running;
      expect(fixture.driver.transactions).to.deep.equal([]);
      expect(batch.resolved).to.deep.equal([]);
      await fixture.batches.eachBatch(fixture.fetched(0, ['b'], 1));
      expect(fixture.driver.transactions).to.deep.equal([]);
    });
  });

  describe('.finish()', () => {
    it('resolves once the running batches committed', async () => {
      const release = deferred<{ topic: string; value: string }>();
      const fixture = createFixture({ transform: () => release.promise });
      void fixture.batches.eachBatch(fixture.fetched(0, ['a']));
      let finished = false;
      const finishing = fixture.batches.finish().then(() => (finished = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(finished).to.equal(false);
      release.resolve({ topic: 'invoices', value: 'a' });
      await finishing;
      expect(fixture.driver.transactions.map(({ outcome }) => outcome)).to.deep.equal(['committed']);
    });
  });
});
