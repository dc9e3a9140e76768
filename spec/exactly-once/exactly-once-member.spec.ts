import { expect } from 'chai';
import { Container } from 'inversify';
import { of } from 'rxjs';
import {
  Controller,
  EventPattern,
  KafkaRetriableException,
  KafkaServer,
  Payload,
  registerControllers,
  RxKafkaError,
  type ExactlyOnceOutput,
} from '../../lib';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { FakeKafkaDriver, type FakeConsumer } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const GROUP = 'billing-server';
const EXACTLY_ONCE_GROUP = `${GROUP}.exactly-once`;

describe('KafkaServer with @EventPattern(topic, { exactlyOnce: true }) (on a fake driver)', () => {
  const audited: unknown[] = [];
  let flakyRuns = 0;

  @Controller()
  class BillingController {
    @EventPattern('payments', { exactlyOnce: true, deadLetter: true })
    invoice(@Payload() payment: { id: number; amount: number }): ExactlyOnceOutput[] {
      if (payment.amount < 0) throw new Error(`negative amount in payment ${payment.id}`);
      return [
        { topic: 'invoices', key: String(payment.id), value: { id: payment.id, total: payment.amount } },
        { topic: 'ledger', value: { id: payment.id } },
      ];
    }

    @EventPattern('refunds', { exactlyOnce: true, retry: { attempts: 3, backoffMs: 0 } })
    refund(@Payload() refund: { id: number }) {
      flakyRuns += 1;
      if (flakyRuns === 1) throw new KafkaRetriableException('ledger busy');
      return of({ topic: 'refunds.done', value: refund });
    }

    @EventPattern('receipts', { exactlyOnce: true, deadLetter: 'receipts.failed' })
    receipt(): unknown {
      return { value: 'no topic' };
    }

    @EventPattern('audits')
    audit(@Payload() event: unknown): void {
      audited.push(event);
    }
  }

  let driver: FakeKafkaDriver;
  let logger: RecordingLogger;
  let server: KafkaServer;

  const consumerOf = (groupId: string): FakeConsumer => {
    // The newest: a listen() after close() connects a new one.
    const consumer = driver.consumers.filter((candidate) => candidate.settings.groupId === groupId).pop();
    if (!consumer) throw new Error(`no consumer in group ${groupId}`);
    return consumer;
  };

  beforeEach(async () => {
    audited.length = 0;
    flakyRuns = 0;
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
    const container = new Container();
    registerControllers(container, [BillingController]);
    server = new KafkaServer(container, { driver, logger, consumer: { groupId: 'billing' } });
    await server.listen();
  });

  afterEach(async () => {
    await server.close({ mode: 'abandon' });
  });

  it('consumes the exactly-once topics in a group of their own, the others in the server’s group', () => {
    expect(consumerOf(GROUP).topics).to.deep.equal(['audits']);
    expect(consumerOf(EXACTLY_ONCE_GROUP).topics).to.have.members(['payments', 'refunds', 'receipts']);
    expect(server.connections).to.have.length(2);
    expect(server.connections[0]).to.equal(server.connection);
  });

  it('reads the exactly-once topics with read_committed', () => {
    expect(consumerOf(EXACTLY_ONCE_GROUP).settings.librarySettings).to.include({ readUncommitted: false });
  });

  it('produces what the handler returns and the input offset in one transaction', async () => {
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('payments', 0, [
      { value: JSON.stringify({ id: 1, amount: 10 }) },
      { value: JSON.stringify({ id: 2, amount: 20 }) },
    ]);
    expect(driver.transactions).to.have.length(1);
    const [transaction] = driver.transactions;
    expect(transaction.outcome).to.equal('committed');
    expect(transaction.transactionalId).to.equal(`${EXACTLY_ONCE_GROUP}-payments-0`);
    expect(transaction.records.map(({ topic, record }) => [topic, record.key, record.value])).to.deep.equal([
      ['invoices', '1', '{"id":1,"total":10}'],
      ['invoices', '2', '{"id":2,"total":20}'],
      ['ledger', undefined, '{"id":1}'],
      ['ledger', undefined, '{"id":2}'],
    ]);
    expect(transaction.offsets).to.deep.equal([
      {
        groupId: EXACTLY_ONCE_GROUP,
        offsets: { topics: [{ topic: 'payments', partitions: [{ partition: 0, offset: '2' }] }] },
      },
    ]);
    expect(consumerOf(EXACTLY_ONCE_GROUP).commits).to.deep.equal([]);
    expect(server.stats.exactlyOnce).to.include({ recordsProcessed: 2, outputsProduced: 4 });
  });

  it('dead-letters a record whose handler throws in the same transaction, and goes on', async () => {
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('payments', 0, [
      { value: JSON.stringify({ id: 1, amount: -5 }) },
      { value: JSON.stringify({ id: 2, amount: 20 }) },
    ]);
    const [transaction] = driver.transactions;
    expect(transaction.records.map(({ topic }) => topic)).to.deep.equal([
      'payments.dlt',
      'invoices',
      'ledger',
    ]);
    const headers = transaction.records[0].record.headers ?? {};
    expect(headers[DeadLetterHeaders.HANDLER]).to.equal('BillingController.invoice');
    expect(headers[DeadLetterHeaders.EXCEPTION_MESSAGE]).to.equal('negative amount in payment 1');
    expect(transaction.offsets[0].offsets.topics[0].partitions[0].offset).to.equal('2');
    expect(server.stats).to.include({ handlerFailures: 1, deadLetters: 1 });
  });

  it('runs a handler again on KafkaRetriableException and produces what its Observable emits', async () => {
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('refunds', 0, [{ value: JSON.stringify({ id: 7 }) }]);
    expect(flakyRuns).to.equal(2);
    expect(driver.transactions.map(({ records }) => records.map(({ topic }) => topic))).to.deep.equal([
      ['refunds.done'],
    ]);
  });

  it('dead-letters a record whose handler returns an output without a topic, naming the handler', async () => {
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('receipts', 0, [{ value: '{}' }]);
    const [transaction] = driver.transactions;
    expect(transaction.records.map(({ topic }) => topic)).to.deep.equal(['receipts.failed']);
    expect(transaction.records[0].record.headers?.[DeadLetterHeaders.HANDLER]).to.equal(
      'BillingController.receipt',
    );
    expect(
      logger.find(
        'error',
        'BillingController.receipt failed after 1 attempt(s); the record is dead-lettered to receipts.failed',
        { code: 'RXK_TRANSFORM_FAILED', offset: '0' },
      ),
    ).to.have.length(1);
  });

  it('handles a plain @EventPattern of the same server at-least-once, with no transaction', async () => {
    await consumerOf(GROUP).deliver('audits', 0, [{ value: JSON.stringify({ who: 'ada' }) }]);
    expect(audited).to.deep.equal([{ who: 'ada' }]);
    expect(driver.transactions).to.deep.equal([]);
    expect(consumerOf(GROUP).resolvedOffset('audits', 0)).to.equal('1');
  });

  it('drains the exactly-once member on close() and reports its figures', async () => {
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('payments', 0, [
      { value: JSON.stringify({ id: 1, amount: 10 }) },
    ]);
    const report = await server.close();
    expect(report.exactlyOnce).to.include({ recordsProcessed: 1, transactionsCommitted: 1, timedOut: false });
    expect(driver.transactionalProducers.every((producer) => !producer.connected)).to.equal(true);
  });

  it('runs the exactly-once handlers again on listen() after close()', async () => {
    await server.close();
    await server.listen();
    await consumerOf(EXACTLY_ONCE_GROUP).deliver('payments', 0, [
      { value: JSON.stringify({ id: 3, amount: 30 }) },
    ]);
    expect(driver.transactions.map(({ outcome }) => outcome)).to.deep.equal(['committed']);
    expect(driver.transactions[0].records.map(({ topic }) => topic)).to.deep.equal(['invoices', 'ledger']);
  });

  context('when the cluster refuses the transactional ids', () => {
    it('fails listen() with RXK_NOT_AUTHORIZED before the exactly-once member joins its group', async () => {
      const refused = new FakeKafkaDriver();
      const checked: string[] = [];
      Object.assign(refused, {
        checkTransactionalIdAccess: async (prefix: string) => {
          checked.push(prefix);
          throw new RxKafkaError(
            'RXK_NOT_AUTHORIZED',
            `not authorized to use the transactional ids ${prefix}-*`,
          );
        },
      });
      const container = new Container();
      registerControllers(container, [BillingController]);
      const refusedServer = new KafkaServer(container, {
        driver: refused,
        logger,
        consumer: { groupId: 'billing' },
        exactlyOnce: { transactionalIdPrefix: 'billing-tx' },
      });
      try {
        const failed = await refusedServer.listen().catch((error: unknown) => error);
        expect(failed).to.be.instanceOf(RxKafkaError).with.property('code', 'RXK_NOT_AUTHORIZED');
        expect(checked).to.deep.equal(['billing-tx']);
        const member = refused.consumers.find(({ settings }) => settings.groupId === EXACTLY_ONCE_GROUP);
        expect(member?.connected).to.equal(false);
        expect(refused.transactionalProducers).to.deep.equal([]);
      } finally {
        await refusedServer.close({ mode: 'abandon' });
      }
    });
  });

  context('when every handler is exactly-once', () => {
    it('runs its one consumer, in the exactly-once group, beside a producer-only connection', async () => {
      @Controller()
      class InvoiceOnlyController {
        @EventPattern('orders', { exactlyOnce: true })
        invoice(@Payload() order: { id: number }): ExactlyOnceOutput {
          return { topic: 'invoices', value: order };
        }
      }
      const only = new FakeKafkaDriver();
      const container = new Container();
      registerControllers(container, [InvoiceOnlyController]);
      const onlyServer = new KafkaServer(container, {
        driver: only,
        logger,
        consumer: { groupId: 'billing' },
      });
      await onlyServer.listen();
      try {
        expect(only.consumers.map(({ settings }) => settings.groupId)).to.deep.equal([EXACTLY_ONCE_GROUP]);
        await only.consumer.deliver('orders', 0, [{ value: JSON.stringify({ id: 1 }) }]);
        expect(only.transactions.map(({ records }) => records.length)).to.deep.equal([1]);
      } finally {
        await onlyServer.close();
      }
    });
  });
});
