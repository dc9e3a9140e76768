import { expect } from 'chai';
import { Container } from 'inversify';
import type { Producer } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  Ctx,
  DeadLetterHeaders,
  EventPattern,
  KafkaClient,
  KafkaContext,
  KafkaServer,
  MessagePattern,
  Payload,
  RemoteError,
  registerControllers,
  RetryHeaders,
  RpcException,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { ChannelRecorder } from '../support/channel-recorder';
import { ActorMetrics } from '../../lib/inspector/actor-metrics';
import { RecordingLogger } from '../support/recording-logger';
import { specDriver } from '../support/spec-driver';
import { eventually } from '../reliability/support/eventually';
import { createRawKafka, headerText } from '../reliability/support/raw-kafka';
import { RecordCollector } from '../reliability/support/record-collector';
import { Tally } from '../reliability/support/tally';
import { kindOf, PaymentDownError, type Kind, type Order } from './support/retry-orders';

const PARTITIONS = 4;
const DELAYS_MS = [200, 1000];

/** What the handler saw: each run, each completion (in the order they happened), and due-time checks. */
class Journal {
  readonly runs = new Tally<string>();
  /** Ids of records whose handler succeeded, in completion order. */
  readonly completed: string[] = [];
  /** When each record's handler succeeded (ms since the epoch). */
  readonly completedAt = new Map<string, number>();
  /** Retry runs that started before their record's due time (must stay empty). */
  readonly early: string[] = [];
}

function createOrdersController(topic: string, journal: Journal) {
  @Controller()
  class OrdersController {
    @EventPattern(topic, { retryTopics: { delaysMs: DELAYS_MS, createTopics: true } })
    handle(@Payload() order: Order, @Ctx() context: KafkaContext): void {
      journal.runs.add(order.id);
      const dueAt = headerText(context.getMessage() as never, RetryHeaders.DUE_AT);
      if (dueAt !== undefined && Date.now() < Number(dueAt)) journal.early.push(order.id);
      const run = journal.runs.count(order.id);
      if (order.kind === 'poison') throw new PaymentDownError();
      if (order.kind === 'permanent') throw new RpcException('the order is invalid');
      if (order.kind === 'flaky2' && run < 2) throw new Error('busy');
      if (order.kind === 'flaky3' && run < 3) throw new Error('busy');
      journal.completed.push(order.id);
      journal.completedAt.set(order.id, Date.now());
    }
  }
  return OrdersController;
}

describe('retry topics (broker)', function () {
  const prefix = uniqueName('retry');
  const topic = `${prefix}.orders`;
  const dlt = `${topic}.dlt`;
  const journal = new Journal();
  const orders = Array.from({ length: 2_000 }, (_, index): Order => ({
    id: `o${index}`,
    kind: kindOf(index),
  }));
  const ids = (kind: Kind) => orders.filter((order) => order.kind === kind).map((order) => order.id);
  let brokers: string[];
  let server: KafkaServer;
  let producer: Producer;
  let collector: RecordCollector;
  const logger = new RecordingLogger();
  const channels = new ChannelRecorder();

  before(async function () {
    this.timeout(120_000);
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    channels.start(['rxkafka:batch:start', 'rxkafka:retry:forwarded', 'rxkafka:retry:dead-lettered']);
    const controller = createOrdersController(topic, journal);
    const container = new Container();
    registerControllers(container, [controller]);
    server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger,
      ...specDriver(),
    });
    await server.listen();
    producer = createRawKafka(brokers).producer();
    await producer.connect();
    collector = await RecordCollector.start(brokers, [dlt]);
  });

  after(async function () {
    this.timeout(60_000);
    channels.stop();
    await collector?.stop();
    await producer?.disconnect();
    await server?.close();
  });

  it('creates the retry topics and the dead-letter topic with the source topic’s partition count', async () => {
    const metadata = await withAdmin((admin) =>
      admin.fetchTopicMetadata({ topics: [`${topic}.retry.200`, `${topic}.retry.1000`, dlt] }),
    );
    expect(metadata.topics.map((entry) => [entry.name, entry.partitions.length])).to.have.deep.members([
      [`${topic}.retry.200`, PARTITIONS],
      [`${topic}.retry.1000`, PARTITIONS],
      [dlt, PARTITIONS],
    ]);
  });

  it('handles good records once, transient failures after their retries, and dead-letters the rest', async function () {
    this.timeout(120_000);
    await producer.send({
      topic,
      messages: orders.map((order, index) => ({
        key: `customer-${index % 16}`,
        value: JSON.stringify(order),
      })),
    });
    const poison = ids('poison');
    const permanent = ids('permanent');
    await eventually(
      () =>
        journal.completed.length === orders.length - poison.length - permanent.length &&
        collector.of(dlt).length === poison.length + permanent.length,
      'every record handled or dead-lettered',
      90_000,
      () => `${journal.completed.length} completed, ${collector.of(dlt).length} dead letters`,
    );

    for (const id of ids('fine')) expect(journal.runs.count(id), `runs of ${id}`).to.equal(1);
    for (const id of ids('flaky2')) expect(journal.runs.count(id), `runs of ${id}`).to.equal(2);
    for (const id of ids('flaky3')) expect(journal.runs.count(id), `runs of ${id}`).to.equal(3);
    for (const id of poison) expect(journal.runs.count(id), `runs of ${id}`).to.equal(3);
    for (const id of permanent) expect(journal.runs.count(id), `runs of ${id}`).to.equal(1);
    expect(journal.completed, 'each success once').to.have.length(new Set(journal.completed).size);
    expect(journal.early, 'retries run before their due time').to.deep.equal([]);
  });

  it('lets the healthy records finish while retries are still pending', () => {
    // Completion order, not durations: every record that needed no retry finished before any record that
    // waited out both delays, although records of both kinds shared partitions (and keys).
    const lastFine = Math.max(...ids('fine').map((id) => journal.completed.indexOf(id)));
    const firstFlaky3 = Math.min(...ids('flaky3').map((id) => journal.completed.indexOf(id)));
    expect(lastFine).to.be.below(firstFlaky3);

    const start = Math.min(...journal.completedAt.values());
    const finished = (kind: Kind) => Math.max(...ids(kind).map((id) => journal.completedAt.get(id)!)) - start;
    process.stdout.write(
      `      from the first success: healthy records done after ${finished('fine')} ms, ` +
        `second-run successes after ${finished('flaky2')} ms, third-run successes after ${finished('flaky3')} ms\n`,
    );
  });

  it('pauses a retry partition until its record is due instead of fetching it again and again', () => {
    // Each batch of a retry topic ends with its records done or at a record not due yet, which pauses its
    // partition until then: about two batches per retry record at most. Fetching a waiting partition in a
    // loop instead would hand over hundreds in the second of the longer delay.
    const retryBatches = channels.on('rxkafka:batch:start', (batch) =>
      batch.topic.startsWith(`${topic}.retry.`),
    );
    const forwarded = server.stats.retriesForwarded;
    expect(forwarded, 'records forwarded to retry topics').to.equal(
      ids('flaky2').length + 2 * ids('flaky3').length + 2 * ids('poison').length,
    );
    expect(retryBatches.length).to.be.at.most(2 * forwarded);
  });

  it('writes the dead letters with the original place, the last error and the retry headers', () => {
    const letterOf = (id: string) => {
      const found = collector.of(dlt).find((record) => JSON.parse(String(record.message.value)).id === id);
      expect(found, `the dead letter of ${id}`).to.not.equal(undefined);
      return (name: string) => headerText(found!.message, name);
    };
    const [poison] = ids('poison');
    const header = letterOf(poison);
    expect(header(DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(topic);
    expect(Number(header(DeadLetterHeaders.ORIGINAL_PARTITION))).to.be.within(0, PARTITIONS - 1);
    expect(header(DeadLetterHeaders.ORIGINAL_OFFSET)).to.match(/^\d+$/);
    expect(header(DeadLetterHeaders.ORIGINAL_TIMESTAMP)).to.match(/^\d+$/);
    expect(header(DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('PaymentDownError');
    expect(header(DeadLetterHeaders.EXCEPTION_MESSAGE)).to.equal('the payment service is down');
    expect(header(RetryHeaders.EXCEPTION_CODE)).to.equal('E_PAYMENT_DOWN');
    expect(header(DeadLetterHeaders.ATTEMPTS)).to.equal('3');
    expect(header(DeadLetterHeaders.HANDLER)).to.equal('OrdersController.handle');
    expect(header(RetryHeaders.ATTEMPT), 'the last retry’s attempt').to.equal('3');
    const firstFailure = Number(header(RetryHeaders.FIRST_FAILURE_AT));
    expect(firstFailure).to.be.at.most(Number(header(RetryHeaders.DUE_AT)));

    const [permanent] = ids('permanent');
    const straight = letterOf(permanent);
    expect(straight(DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(topic);
    expect(straight(DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('RpcException');
    expect(straight(DeadLetterHeaders.ATTEMPTS), 'an RpcException is not retried').to.equal('1');
    expect(straight(RetryHeaders.ATTEMPT)).to.equal(undefined);
  });

  it('publishes each forward and each dead letter in the diagnostics catalog, and counts retries by attempt', async () => {
    const forwards = channels.on('rxkafka:retry:forwarded');
    const letters = channels.on('rxkafka:retry:dead-lettered');
    const retriedOnce = ids('flaky2').length + ids('flaky3').length + ids('poison').length;
    const retriedTwice = ids('flaky3').length + ids('poison').length;
    expect(forwards).to.have.length(server.stats.retriesForwarded);
    expect(forwards.filter((event) => event.attempt === 1)).to.have.length(retriedOnce);
    expect(forwards.filter((event) => event.attempt === 2)).to.have.length(retriedTwice);
    for (const event of forwards) {
      expect(event.handler).to.equal('OrdersController.handle');
      expect(event.source).to.equal(topic);
      expect(event.topic).to.equal(event.attempt === 1 ? topic : `${topic}.retry.200`);
      expect(event.retryTopic).to.equal(`${topic}.retry.${DELAYS_MS[event.attempt - 1]}`);
      expect(event.partition).to.be.within(0, PARTITIONS - 1);
      expect(event.offset).to.match(/^\d+$/);
      expect(event.dueAt).to.be.a('number');
      expect(event.error).to.be.instanceOf(Error);
    }
    expect(letters.map((event) => event.attempts).sort()).to.deep.equal([
      ...ids('permanent').map(() => 1),
      ...ids('poison').map(() => 3),
    ]);
    for (const event of letters) {
      expect(event.deadLetterTopic).to.equal(dlt);
      expect(event.topic).to.equal(event.attempts === 1 ? topic : `${topic}.retry.1000`);
    }

    expect(server.stats.retries).to.have.deep.members([
      { topic, attempt: 1, forwarded: retriedOnce },
      { topic, attempt: 2, forwarded: retriedTwice },
    ]);
    const metrics = new ActorMetrics(
      () => new Map(),
      () => new Map(),
      () => new Map([['orders', server.stats]]),
    );
    const text = await metrics.text();
    expect(text).to.contain(
      `rxkafka_retries_forwarded_total{source="orders",topic="${topic}",attempt="1"} ${retriedOnce}`,
    );
    expect(text).to.contain(
      `rxkafka_retries_forwarded_total{source="orders",topic="${topic}",attempt="2"} ${retriedTwice}`,
    );
  });

  it('handles a retry record without a due time at once, with a warning', async () => {
    const order: Order = { id: 'no-due-time', kind: 'fine' };
    await producer.send({
      topic: `${topic}.retry.200`,
      messages: [
        {
          value: JSON.stringify(order),
          headers: { [RetryHeaders.ATTEMPT]: '2', [DeadLetterHeaders.HANDLER]: 'OrdersController.handle' },
        },
      ],
    });
    await eventually(() => journal.completed.includes(order.id), 'the record without a due time');
    expect(
      logger.find('warn', 'has no valid due time', { topic: `${topic}.retry.200` }),
    ).to.have.length.above(0);
  });

  it('dead-letters a retry record whose attempt its topic is not for, with the reason', async () => {
    const order: Order = { id: 'bad-attempt', kind: 'fine' };
    await producer.send({
      topic: `${topic}.retry.1000`,
      messages: [
        {
          value: JSON.stringify(order),
          headers: {
            [RetryHeaders.ATTEMPT]: 'seven',
            [RetryHeaders.DUE_AT]: String(Date.now()),
            [DeadLetterHeaders.HANDLER]: 'OrdersController.handle',
          },
        },
      ],
    });
    const letter = await collector.waitFor(
      dlt,
      (record) => JSON.parse(String(record.message.value)).id === order.id,
      'the dead letter of the bad attempt',
    );
    expect(headerText(letter.message, RetryHeaders.EXCEPTION_CODE)).to.equal('RXK_RETRY_RECORD_INVALID');
    expect(headerText(letter.message, DeadLetterHeaders.EXCEPTION_MESSAGE)).to.include('attempt seven');
    expect(journal.runs.count(order.id), 'the handler never ran').to.equal(0);
  });

  it('fails listen() naming a missing retry topic when createTopics is off', async () => {
    const source = `${uniqueName('retry-missing')}.orders`;
    await createTopics([{ topic: source, numPartitions: 2 }]);
    @Controller()
    class MissingController {
      @EventPattern(source, { retryTopics: { delaysMs: [500] } })
      handle(): void {}
    }
    const container = new Container();
    registerControllers(container, [MissingController]);
    const missing = new KafkaServer(container, {
      controllers: [MissingController],
      client: { brokers, clientId: uniqueName('retry-missing') },
      consumer: { groupId: uniqueName('retry-missing') },
      logger: silentLogger,
      ...specDriver(),
    });
    const error = await missing.listen().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await missing.close();
    expect(RxKafkaError.isRxKafkaError(error) && error.code).to.equal('RXK_TOPIC_NOT_FOUND');
    expect((error as Error).message)
      .to.include(`${source}.retry.500`)
      .and.include('MissingController.handle');
  });
});

describe('retry topics: records waiting for their due time (broker)', function () {
  const DELAY_MS = 4_000;
  const prefix = uniqueName('retry-wait');
  const topic = `${prefix}.orders`;
  const retryTopic = `${topic}.retry.${DELAY_MS}`;
  const runs = new Tally<string>();
  /** The DUE_AT header of each retry run, by order id. */
  const dueAtHeaders = new Map<string, number>();
  const channels = new ChannelRecorder();
  let server: KafkaServer;
  let producer: Producer;

  @Controller()
  class WaitingController {
    @EventPattern(topic, { retryTopics: { delaysMs: [DELAY_MS], createTopics: true } })
    handle(@Payload() order: Order, @Ctx() context: KafkaContext): void {
      runs.add(order.id);
      const dueAt = headerText(context.getMessage() as never, RetryHeaders.DUE_AT);
      if (dueAt !== undefined) dueAtHeaders.set(order.id, Number(dueAt));
      // Fails its first run only: the record waits once on the retry topic, then succeeds.
      if (runs.count(order.id) === 1) throw new Error('busy');
    }
  }

  before(async function () {
    this.timeout(120_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic, numPartitions: 2 }]);
    channels.start(['rxkafka:retry:forwarded', 'rxkafka:retry:waiting']);
    const container = new Container();
    registerControllers(container, [WaitingController]);
    server = new KafkaServer(container, {
      controllers: [WaitingController],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    producer = createRawKafka(brokers).producer();
    await producer.connect();
  });

  after(async function () {
    this.timeout(60_000);
    channels.stop();
    await producer?.disconnect();
    await server?.close();
  });

  const waitingOn = () => server.stats.retryWaiting.find((entry) => entry.topic === retryTopic);

  it('lists the retry topic with nothing waiting before anything failed', () => {
    expect(server.stats.retryWaiting).to.deep.equal([
      { topic: retryTopic, source: topic, waiting: 0, partitions: [] },
    ]);
  });

  it('shows the record waiting on its retry topic with its due time, in stats, metrics and the catalog; then none', async function () {
    this.timeout(60_000);
    await producer.send({
      topic,
      messages: [{ key: 'w-1', value: JSON.stringify({ id: 'w-1', kind: 'flaky2' }) }],
    });
    await eventually(
      () => (waitingOn()?.waiting ?? 0) >= 1,
      'the record waiting on the retry topic',
      30_000,
      () => JSON.stringify(server.stats.retryWaiting),
    );
    const [forward] = channels.on('rxkafka:retry:forwarded');
    const waiting = waitingOn()!;
    expect(waiting.source).to.equal(topic);
    expect(waiting.waiting).to.equal(1);
    expect(waiting.oldestDueAt, 'the due time the forward wrote').to.equal(forward.dueAt);
    expect(waiting.partitions).to.have.length(1);
    expect(waiting.partitions[0]).to.deep.include({ waiting: 1, offset: '0', dueAt: forward.dueAt });

    const [event] = channels.on('rxkafka:retry:waiting');
    expect(event).to.deep.equal({
      source: topic,
      topic: retryTopic,
      partition: waiting.partitions[0].partition,
      offset: '0',
      dueAt: forward.dueAt,
      waiting: 1,
    });

    const metrics = new ActorMetrics(
      () => new Map(),
      () => new Map(),
      () => new Map([['orders', server.stats]]),
    );
    const text = await metrics.text();
    expect(text).to.contain(
      `rxkafka_retries_forwarded_total{source="orders",topic="${topic}",attempt="1"} 1`,
    );
    expect(text).to.contain(`rxkafka_retry_waiting_records{source="orders",topic="${retryTopic}"} 1`);
    expect(text).to.contain(
      `rxkafka_retry_oldest_due_timestamp_seconds{source="orders",topic="${retryTopic}"} ${forward.dueAt / 1000}`,
    );

    await eventually(() => runs.count('w-1') === 2, 'the retry run', 30_000);
    expect(dueAtHeaders.get('w-1'), 'the record’s DUE_AT header').to.equal(waiting.oldestDueAt);
    await eventually(() => waitingOn()?.waiting === 0, 'nothing waiting after the retry ran', 10_000);
    expect(waitingOn()).to.deep.equal({ topic: retryTopic, source: topic, waiting: 0, partitions: [] });
    const after = await metrics.text();
    expect(after).to.contain(`rxkafka_retry_waiting_records{source="orders",topic="${retryTopic}"} 0`);
    expect(after).not.to.contain(
      `rxkafka_retry_oldest_due_timestamp_seconds{source="orders",topic="${retryTopic}"}`,
    );
  });
});

describe('retry topics for requests (broker)', function () {
  const prefix = uniqueName('retry-rpc');
  const topic = `${prefix}.quote`;
  const runs = new Tally<string>();
  let server: KafkaServer;
  let client: KafkaClient;

  @Controller()
  class QuotesController {
    @MessagePattern(topic, { retryTopics: { delaysMs: [200, 1000], createTopics: true } })
    quote(@Payload() order: Order): { id: string; run: number } {
      runs.add(order.id);
      const run = runs.count(order.id);
      if (order.kind === 'poison') throw new PaymentDownError();
      if (order.kind === 'permanent') throw new RpcException('the order is invalid');
      if (order.kind === 'flaky3' && run < 3) throw new Error('busy');
      return { id: order.id, run };
    }
  }

  before(async function () {
    this.timeout(120_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic, numPartitions: 2 }, { topic: `${topic}.reply` }]);
    const container = new Container();
    registerControllers(container, [QuotesController]);
    server = new KafkaServer(container, {
      controllers: [QuotesController],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    client = new KafkaClient({
      client: { brokers, clientId: `${prefix}-client` },
      consumer: { groupId: `${prefix}-client` },
      logger: silentLogger,
      ...specDriver(),
      // Sized for the retries: both delays and three runs.
      requestTimeoutMs: 20_000,
    });
    client.subscribeToResponseOf(topic);
    await client.connect();
  });

  after(async function () {
    this.timeout(60_000);
    await client?.close();
    await server?.close();
  });

  it('answers a request from the run that succeeds, after its retries', async () => {
    const reply = await firstValueFrom(client.send(topic, { id: 'q-flaky', kind: 'flaky3' }));
    expect(reply).to.deep.equal({ id: 'q-flaky', run: 3 });
    expect(runs.count('q-flaky')).to.equal(3);
  });

  it('answers a request with the error once its retries are spent', async () => {
    const error = await firstValueFrom(client.send(topic, { id: 'q-poison', kind: 'poison' })).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(RemoteError);
    expect(runs.count('q-poison'), 'runs: the first and one per delay').to.equal(3);
  });

  it('answers an RpcException at once, without retries', async () => {
    const error = await firstValueFrom(client.send(topic, { id: 'q-invalid', kind: 'permanent' })).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(RemoteError);
    expect((error as RemoteError).response).to.deep.include({ message: 'the order is invalid' });
    expect(runs.count('q-invalid')).to.equal(1);
  });
});
