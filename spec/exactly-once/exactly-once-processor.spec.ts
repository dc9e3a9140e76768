import { expect } from 'chai';
import { of } from 'rxjs';
import { processExactlyOnce, type ExactlyOnceOptions, type ExactlyOnceProcessor } from '../../lib';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const TOPIC = 'orders';
const GROUP = 'billing';

/** `{ id }` inputs, as strings. */
const inputs = (...ids: number[]) => ids.map((id) => ({ value: JSON.stringify({ id }), key: String(id) }));

const idOf = (value: Buffer | null): number => (JSON.parse(String(value)) as { id: number }).id;

describe('processExactlyOnce() (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let logger: RecordingLogger;
  const open: ExactlyOnceProcessor[] = [];

  const start = async (
    options: Partial<ExactlyOnceOptions> = {},
    assignment?: Record<string, number[]>,
  ): Promise<ExactlyOnceProcessor> => {
    const processor = processExactlyOnce({
      client: { brokers: ['fake:9092'] },
      driver,
      logger,
      groupId: GROUP,
      topics: [TOPIC],
      transactionalIdPrefix: 'billing-tx',
      retryDelayMs: 1,
      transform: ({ message }) => ({
        topic: 'invoices',
        key: String(idOf(message.value)),
        value: { id: idOf(message.value) },
      }),
      ...options,
    });
    open.push(processor);
    driver.consumer.assignment = assignment;
    await processor.start();
    return processor;
  };

  beforeEach(() => {
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    for (const processor of open.splice(0)) await processor.close();
  });

  it('commits a batch’s outputs and the offset after its last record in one transaction, then resolves it', async () => {
    const processor = await start();
    await driver.consumer.deliver(TOPIC, 0, inputs(1, 2, 3));
    expect(driver.transactions).to.have.length(1);
    const [transaction] = driver.transactions;
    expect(transaction.outcome).to.equal('committed');
    expect(transaction.transactionalId).to.equal('billing-tx-orders-0');
    expect(transaction.records.map(({ topic, record }) => [topic, record.key, record.value])).to.deep.equal([
      ['invoices', '1', '{"id":1}'],
      ['invoices', '2', '{"id":2}'],
      ['invoices', '3', '{"id":3}'],
    ]);
    expect(transaction.offsets).to.deep.equal([
      {
        groupId: GROUP,
        offsets: { topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '3' }] }] },
      },
    ]);
    expect(driver.consumer.resolvedOffset(TOPIC, 0)).to.equal('3');
    // Only the transaction commits offsets: the consumer itself never does.
    expect(driver.consumer.commits).to.deep.equal([]);
    expect(processor.stats).to.include({ recordsProcessed: 3, outputsProduced: 3, transactionsCommitted: 1 });
  });

  it('splits a batch into transactions of at most maxBatchRecords inputs', async () => {
    await start({ maxBatchRecords: 2 });
    await driver.consumer.deliver(TOPIC, 0, inputs(1, 2, 3, 4, 5));
    expect(driver.transactions.map(({ records }) => records.length)).to.deep.equal([2, 2, 1]);
    expect(
      driver.transactions.map(({ offsets }) => offsets[0].offsets.topics[0].partitions[0].offset),
    ).to.deep.equal(['2', '4', '5']);
  });

  it('takes an array, a Promise, an Observable or nothing from the transform, in record order per topic', async () => {
    await start({
      transform: ({ message }) => {
        const id = idOf(message.value);
        if (id === 1)
          return [
            { topic: 'a', value: 'one' },
            { topic: 'b', value: 'uno' },
          ];
        if (id === 2) return Promise.resolve({ topic: 'a', value: 2 });
        if (id === 3) return of({ topic: 'a', value: ['three'] }, { topic: 'a', value: null });
        return undefined;
      },
    });
    await driver.consumer.deliver(TOPIC, 0, inputs(1, 2, 3, 4));
    const [transaction] = driver.transactions;
    expect(transaction.records.map(({ topic, record }) => [topic, record.value])).to.deep.equal([
      ['a', 'one'],
      ['a', '2'],
      ['a', '["three"]'],
      ['a', null],
      ['b', 'uno'],
    ]);
    expect(transaction.offsets[0].offsets.topics[0].partitions[0].offset).to.equal('4');
  });

  it('creates one producer per input partition, fenced when it is created', async () => {
    await start({}, { [TOPIC]: [0, 1] });
    await driver.consumer.deliver(TOPIC, 0, inputs(1));
    await driver.consumer.deliver(TOPIC, 1, inputs(2));
    await driver.consumer.deliver(TOPIC, 0, inputs(3));
    expect(driver.transactionalProducers.map(({ transactionalId }) => transactionalId)).to.deep.equal([
      'billing-tx-orders-0',
      'billing-tx-orders-1',
    ]);
    expect(driver.transactionalProducers.every(({ connected }) => connected)).to.equal(true);
  });

  context('when a transaction fails', () => {
    it('aborts it, resolves nothing, seeks back to its first record, and fences a new producer for the retry', async () => {
      const processor = await start();
      await driver.consumer.deliver(TOPIC, 0, inputs(1, 2));
      const [first] = driver.transactionalProducers;
      first.failNext = { step: 'commit', error: new Error('coordinator moved') };
      await driver.consumer.deliver(TOPIC, 0, inputs(3, 4));
      expect(driver.transactions.map(({ outcome }) => outcome)).to.deep.equal(['committed', 'aborted']);
      expect(driver.consumer.resolvedOffset(TOPIC, 0)).to.equal('2');
      expect(driver.consumer.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '2' }]);
      expect(first.connected).to.equal(false);
      expect(logger.find('warn', 'failed: aborted, retrying from offset 2')).to.have.length(1);
      expect(processor.stats).to.include({ transactionsAborted: 1, fenced: 0 });

      await driver.consumer.deliver(TOPIC, 0, inputs(3, 4), 2);
      expect(driver.transactionalProducers).to.have.length(2);
      expect(driver.transactions.map(({ outcome }) => outcome)).to.deep.equal([
        'committed',
        'aborted',
        'committed',
      ]);
      expect(driver.consumer.resolvedOffset(TOPIC, 0)).to.equal('4');
    });

    it('logs RXK_PRODUCER_FENCED when a newer producer of the same id took over', async () => {
      const processor = await start();
      await driver.consumer.deliver(TOPIC, 0, inputs(1));
      // Another member's producer for the same partition.
      await driver.createTransactionalProducer({ transactionalId: 'billing-tx-orders-0' }).connect();
      await driver.consumer.deliver(TOPIC, 0, inputs(2));
      expect(
        logger.find('error', 'was fenced', { code: 'RXK_PRODUCER_FENCED', partition: 0 }),
      ).to.have.length(1);
      expect(processor.stats).to.include({ fenced: 1, recordsProcessed: 1 });
      expect(driver.consumer.resolvedOffset(TOPIC, 0)).to.equal('1');
    });
  });

  context('when an older owner committed past this member’s fetch', () => {
    it('reads the committed offset again after the fence and skips the records it covers', async () => {
      driver.groupOffsets.set(`${GROUP} ${TOPIC}/0`, '2');
      const seen: number[] = [];
      await start({
        transform: ({ message }) => {
          seen.push(idOf(message.value));
          return { topic: 'invoices', value: 'x' };
        },
      });
      await driver.consumer.deliver(TOPIC, 0, inputs(0, 1, 2, 3));
      expect(seen).to.deep.equal([2, 3]);
      expect(driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('4');
    });

    it('seeks past a batch the committed offset covers entirely', async () => {
      driver.groupOffsets.set(`${GROUP} ${TOPIC}/0`, '5');
      await start();
      await driver.consumer.deliver(TOPIC, 0, inputs(0, 1));
      expect(driver.transactions).to.deep.equal([]);
      expect(driver.consumer.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '5' }]);
    });
  });

  context('when the transform fails on a record (a poison record)', () => {
    const failOn = (poison: number) => ({
      transform: ({ message }: { message: { value: Buffer | null } }) => {
        const id = idOf(message.value);
        if (id === poison) throw new Error(`cannot bill ${id}`);
        return { topic: 'invoices', value: String(id) };
      },
    });

    it('without a deadLetterTopic, commits the records before it and stops with RXK_TRANSFORM_FAILED', async () => {
      const processor = await start(failOn(3));
      await driver.consumer.deliver(TOPIC, 0, inputs(1, 2, 3, 4));
      const report = await processor.done;
      expect(report.error?.code).to.equal('RXK_TRANSFORM_FAILED');
      expect(report.error?.message).to.include('orders/0 at offset 2').and.include('cannot bill 3');
      expect(report.recordsProcessed).to.equal(2);
      expect(driver.groupOffsets.get(`${GROUP} ${TOPIC}/0`)).to.equal('2');
      expect(driver.consumer.seeks).to.deep.equal([{ topic: TOPIC, partition: 0, offset: '2' }]);
      expect(logger.find('error', 'the processor stops', { code: 'RXK_TRANSFORM_FAILED' })).to.have.length(1);
      expect(processor.connection.state).to.equal('stopped');
    });

    it('with a deadLetterTopic, writes it there in the same transaction and goes on', async () => {
      const processor = await start({ ...failOn(2), deadLetterTopic: 'orders.dlt' });
      await driver.consumer.deliver(TOPIC, 0, inputs(1, 2, 3));
      const [transaction] = driver.transactions;
      expect(transaction.records.map(({ topic, record }) => [topic, String(record.value)])).to.deep.equal([
        ['invoices', '1'],
        ['invoices', '3'],
        ['orders.dlt', '{"id":2}'],
      ]);
      const deadLetter = transaction.records[2].record;
      expect(deadLetter.value).to.deep.equal(Buffer.from(JSON.stringify({ id: 2 })));
      expect(deadLetter.headers?.[DeadLetterHeaders.ORIGINAL_OFFSET]).to.equal('1');
      expect(deadLetter.headers?.[DeadLetterHeaders.EXCEPTION_MESSAGE]).to.equal('cannot bill 2');
      expect(processor.stats).to.include({ recordsProcessed: 3, outputsProduced: 2, deadLetters: 1 });
    });
  });

  context('when the group rebalances', () => {
    it('disconnects the producers of revoked partitions and makes the kept ones anew at their next batch', async () => {
      await start({}, { [TOPIC]: [0, 1] });
      await driver.consumer.deliver(TOPIC, 0, inputs(1));
      await driver.consumer.deliver(TOPIC, 1, inputs(2));
      const [zero, one] = driver.transactionalProducers;
      driver.consumer.rebalance({ [TOPIC]: [0] });
      await new Promise((resolve) => setImmediate(resolve));
      expect(one.connected).to.equal(false);
      await driver.consumer.deliver(TOPIC, 0, inputs(3));
      expect(zero.connected).to.equal(false);
      expect(driver.transactionalProducers).to.have.length(3);
      expect(driver.transactionalProducers[2].transactionalId).to.equal('billing-tx-orders-0');
    });
  });

  describe('close()', () => {
    it('disconnects every transactional producer and reports what it did', async () => {
      const processor = await start();
      await driver.consumer.deliver(TOPIC, 0, inputs(1, 2));
      const report = await processor.close();
      expect(report).to.deep.equal({
        recordsProcessed: 2,
        outputsProduced: 2,
        transactionsCommitted: 1,
        transactionsAborted: 0,
        fenced: 0,
        deadLetters: 0,
      });
      expect(driver.transactionalProducers.every(({ connected }) => !connected)).to.equal(true);
      expect(await processor.done).to.deep.equal(report);
    });
  });
});
