import { expect } from 'chai';
import { Container } from 'inversify';
import type { Producer } from 'kafkajs';
import {
  Controller,
  Ctx,
  DeadLetterHeaders,
  EventPattern,
  KafkaContext,
  KafkaRetriableException,
  KafkaServer,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually } from './support/eventually';
import { createRawKafka, headerText } from './support/raw-kafka';
import { RecordCollector } from './support/record-collector';
import { Tally } from './support/tally';

interface Order {
  readonly id: string;
  readonly kind: 'poison' | 'flaky' | 'fine';
}

/** Controllers are built per run so that their topics are unique to it. */
function createOrderControllers(prefix: string, runs: Tally<string>, timestamps: Map<string, string>) {
  @Controller()
  class OrdersController {
    // Retried three times in all, then parked in `<topic>.dlt`.
    @EventPattern(`${prefix}.orders`, { retry: { attempts: 3, backoffMs: 20 }, deadLetter: true })
    handle(@Payload() order: Order, @Ctx() context: KafkaContext): void {
      runs.add(order.id);
      timestamps.set(order.id, context.getMessage().timestamp);
      if (order.kind === 'poison') throw new KafkaRetriableException('the payment service is down');
      if (order.kind === 'flaky' && runs.count(order.id) === 1) {
        throw new KafkaRetriableException('the payment service is busy');
      }
    }
  }

  @Controller()
  class AuditController {
    // No option of its own: the server's deadLetter function decides; a plain Error is not retried.
    @EventPattern(`${prefix}.audit`)
    record(@Payload() entry: { id: string }): void {
      runs.add(entry.id);
      throw new Error('the audit store rejected the entry');
    }
  }
  return [OrdersController, AuditController];
}

describe('dead letters (reliability)', () => {
  const prefix = uniqueName('dlt');
  const orders = `${prefix}.orders`;
  const audit = `${prefix}.audit`;
  const runs = new Tally<string>();
  const timestamps = new Map<string, string>();
  let brokers: string[];
  let server: KafkaServer;
  let producer: Producer;
  let collector: RecordCollector;

  before(async function () {
    this.timeout(120_000);
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic: orders },
      { topic: `${orders}.dlt` },
      { topic: audit },
      { topic: `${audit}.parked` },
    ]);
    const controllers = createOrderControllers(prefix, runs, timestamps);
    const container = new Container();
    registerControllers(container, controllers);
    server = new KafkaServer(container, {
      controllers,
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      deadLetter: (topic) => `${topic}.parked`,
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    producer = createRawKafka(brokers).producer();
    await producer.connect();
    collector = await RecordCollector.start(brokers, [`${orders}.dlt`, `${audit}.parked`]);
  });

  after(async function () {
    this.timeout(60_000);
    await collector?.stop();
    await producer?.disconnect();
    await server?.close();
  });

  it('parks an event whose retries are spent with the original bytes and the kafka_dlt-* headers', async () => {
    const value = Buffer.from(JSON.stringify({ id: 'order-1', kind: 'poison', note: 'naïve ☃' }));
    const [written] = await producer.send({
      topic: orders,
      messages: [{ key: 'customer-42', value, headers: { 'trace-id': 'abc-123' } }],
    });

    const letter = await collector.waitFor(`${orders}.dlt`, () => true, 'the dead letter');
    expect(runs.count('order-1'), 'handler runs').to.equal(3);
    expect(letter.message.key?.toString()).to.equal('customer-42');
    expect(Buffer.compare(letter.message.value!, value), 'the original value, byte for byte').to.equal(0);
    const header = (name: string) => headerText(letter.message, name);
    expect(header('trace-id')).to.equal('abc-123');
    expect(header(DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(orders);
    expect(header(DeadLetterHeaders.ORIGINAL_PARTITION)).to.equal('0');
    expect(header(DeadLetterHeaders.ORIGINAL_OFFSET)).to.equal(written.baseOffset);
    expect(header(DeadLetterHeaders.ORIGINAL_TIMESTAMP)).to.equal(timestamps.get('order-1'));
    expect(header(DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('KafkaRetriableException');
    expect(header(DeadLetterHeaders.EXCEPTION_MESSAGE)).to.equal('the payment service is down');
    expect(header(DeadLetterHeaders.ATTEMPTS)).to.equal('3');
    expect(header(DeadLetterHeaders.HANDLER)).to.equal('OrdersController.handle');
  });

  it('runs a handler that succeeds on its second attempt exactly twice and parks nothing', async () => {
    const lettersBefore = collector.of(`${orders}.dlt`).length;
    await producer.send({
      topic: orders,
      messages: [
        { value: JSON.stringify({ id: 'order-2', kind: 'flaky' }) },
        { value: JSON.stringify({ id: 'order-3', kind: 'fine' }) },
      ],
    });
    await eventually(() => runs.count('order-3') === 1, 'the order after the flaky one');
    expect(runs.count('order-2'), 'runs of the flaky order').to.equal(2);
    // The partition is handled in order: a dead letter for order-2 would be written before order-3 ran.
    expect(collector.of(`${orders}.dlt`)).to.have.length(lettersBefore);
  });

  it('parks a plain error after one run, in the topic the server’s deadLetter function names', async () => {
    await producer.send({ topic: audit, messages: [{ value: JSON.stringify({ id: 'audit-1' }) }] });
    const letter = await collector.waitFor(`${audit}.parked`, () => true, 'the parked audit entry');
    expect(runs.count('audit-1')).to.equal(1);
    expect(headerText(letter.message, DeadLetterHeaders.ATTEMPTS)).to.equal('1');
    expect(headerText(letter.message, DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('Error');
    expect(headerText(letter.message, DeadLetterHeaders.HANDLER)).to.equal('AuditController.record');
    expect(JSON.parse(String(letter.message.value))).to.deep.equal({ id: 'audit-1' });
  });
});
