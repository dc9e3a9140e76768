import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  DeadLetterHeaders,
  EventPattern,
  KafkaHeaders,
  KafkaServer,
  MessagePattern,
  registerControllers,
  silentLogger,
} from '../../lib';
import { ChannelRecorder } from '../support/channel-recorder';
import { createSendError, FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

/** Resolves after pending promise callbacks and one macrotask: enough for the fake's in-memory steps. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function createDeferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KafkaServer.skipRecord() (on a fake driver)', () => {
  let hung = createDeferred();
  let runs: string[] = [];

  @Controller()
  class StuckController {
    @EventPattern('orders.placed', { deadLetter: true })
    async place(order: { id: string }): Promise<void> {
      runs.push(order.id);
      if (order.id === 'stuck') await hung.promise;
    }

    @EventPattern('orders.audited', { deadLetter: false })
    async audit(): Promise<void> {
      await hung.promise;
    }

    @EventPattern('orders.shipped', { deadLetter: true })
    async ship(): Promise<void> {
      await hung.promise;
    }

    @EventPattern('orders.shipped', { deadLetter: 'shipped.audit.dlt' })
    async auditShipment(): Promise<void> {
      await hung.promise;
    }

    @MessagePattern('orders.quote')
    async quote(): Promise<number> {
      await hung.promise;
      return 1;
    }
  }

  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let logger: RecordingLogger;
  let recorder: ChannelRecorder;

  beforeEach(async () => {
    hung = createDeferred();
    runs = [];
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
    const container = new Container();
    registerControllers(container, [StuckController]);
    server = new KafkaServer(container, { driver, logger, drainTimeoutMs: 1_000 });
    await server.listen();
    recorder = new ChannelRecorder().start(['rxkafka:record:skipped']);
  });

  afterEach(async () => {
    recorder.stop();
    hung.resolve();
    await server.close({ mode: 'abandon' });
  });

  const skip = (overrides: Partial<Parameters<KafkaServer['skipRecord']>[0]> = {}) =>
    server.skipRecord({
      type: 'skip',
      topic: 'orders.placed',
      partition: 0,
      offset: '0',
      by: 'alice',
      ...overrides,
    });

  /** Delivers records without waiting for the batch: a hung handler holds it. */
  function deliver(topic: string, values: unknown[]): Promise<void> {
    const delivered = driver.consumer.deliver(
      topic,
      0,
      values.map((value) => ({ value: JSON.stringify(value) })),
    );
    delivered.catch(() => undefined);
    return delivered;
  }

  const deadLetters = () => driver.producer.records.filter(({ topic }) => topic.endsWith('.dlt'));

  context('when an event handler hangs on a record with a dead-letter topic', () => {
    it('writes the record to the dead-letter topic with who skipped it and when, and commits past it', async () => {
      const batch = deliver('orders.placed', [{ id: 'stuck' }, { id: 'next' }]);
      await settle();
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal(undefined);

      const before = Date.now();
      expect(await skip()).to.deep.equal({ accepted: true });
      await batch;

      const [letter] = deadLetters();
      expect(letter).to.include({ topic: 'orders.placed.dlt' });
      expect(String(letter.record.value)).to.equal('{"id":"stuck"}');
      const headers = letter.record.headers ?? {};
      expect(String(headers[DeadLetterHeaders.SKIPPED_BY])).to.equal('alice');
      expect(Number(String(headers[DeadLetterHeaders.SKIPPED_AT]))).to.be.at.least(before);
      expect(String(headers[DeadLetterHeaders.ORIGINAL_OFFSET])).to.equal('0');
      expect(String(headers[DeadLetterHeaders.EXCEPTION_FQCN])).to.equal('RecordSkipped');
      expect(String(headers[DeadLetterHeaders.HANDLER])).to.equal('StuckController.place');
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal('2');
      expect(runs).to.deep.equal(['stuck', 'next']);

      const [published] = recorder.on('rxkafka:record:skipped');
      expect(published).to.deep.include({
        topic: 'orders.placed',
        partition: 0,
        offset: '0',
        by: 'alice',
        handlers: ['StuckController.place'],
        deadLetterTopics: ['orders.placed.dlt'],
      });
      expect(logger.find('warn', 'alice skipped offset 0 of orders.placed/0')).to.have.length(1);
    });

    it('ignores what the hung handler does later: no second dead letter, no failure counted', async () => {
      const batch = deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      await skip();
      await batch;
      hung.reject(new Error('gave up at last'));
      await settle();
      expect(deadLetters()).to.have.length(1);
      expect(server.stats).to.deep.include({ handlerFailures: 0 });
      expect(runs).to.deep.equal(['stuck']);
    });

    it('finishes the record only once Kafka acknowledged its dead letter', async () => {
      driver.producer.holdAcks();
      const batch = deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      let outcome: Awaited<ReturnType<typeof skip>> | undefined;
      const skipping = skip().then((taken) => (outcome = taken));
      await settle();
      expect(outcome, 'the skip before the acknowledgement').to.equal(undefined);
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal(undefined);
      driver.producer.releaseAcks();
      await skipping;
      await batch;
      expect(outcome).to.deep.equal({ accepted: true });
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal('1');
    });

    it('refuses when the dead letter cannot be written, and the record stays in flight', async () => {
      driver.producer.holdAcks();
      void deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      const skipping = skip();
      await settle();
      driver.producer.releaseAcks(createSendError('refused-record', 'RECORD_TOO_LARGE'));
      const outcome = await skipping;
      expect(outcome.accepted).to.equal(false);
      expect(outcome)
        .to.have.property('reason')
        .that.matches(/^writing the dead letter of offset 0 of orders\.placed\/0 failed .*still in flight$/);
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal(undefined);
      expect(await skip(), 'a second try, Kafka taking it').to.deep.equal({ accepted: true });
    });

    it('cuts off every handler still running on the record, each to its own dead-letter topic', async () => {
      const batch = deliver('orders.shipped', [{ id: 'both' }]);
      await settle();
      expect(await skip({ topic: 'orders.shipped' })).to.deep.equal({ accepted: true });
      await batch;
      expect(
        driver.producer.records
          .map(({ topic, record }) => [topic, String(record.headers?.[DeadLetterHeaders.HANDLER])])
          .sort(),
      ).to.deep.equal([
        ['orders.shipped.dlt', 'StuckController.ship'],
        ['shipped.audit.dlt', 'StuckController.auditShipment'],
      ]);
      expect(driver.consumer.committed.get('orders.shipped/0')).to.equal('1');
    });

    it('refuses a second skip of the same record: it is stale', async () => {
      const batch = deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      await skip();
      await batch;
      const outcome = await skip();
      expect(outcome.accepted).to.equal(false);
      expect(outcome)
        .to.have.property('reason')
        .that.matches(/not in flight \(stale\)/);
      expect(deadLetters()).to.have.length(1);
    });
  });

  context('refusals, where nothing changes', () => {
    async function expectRefused(
      outcome: Awaited<ReturnType<KafkaServer['skipRecord']>>,
      reason: RegExp,
      topic = 'orders.placed',
    ): Promise<void> {
      expect(outcome.accepted).to.equal(false);
      expect(outcome).to.have.property('reason').that.matches(reason);
      await settle();
      expect(deadLetters()).to.deep.equal([]);
      expect(driver.consumer.committed.get(`${topic}/0`)).to.equal(undefined);
    }

    it('refuses a handler without a dead-letter topic, naming the option', async () => {
      void deliver('orders.audited', [{ id: 'a' }]);
      await settle();
      await expectRefused(
        await skip({ topic: 'orders.audited' }),
        /StuckController\.audit has no dead-letter topic: set deadLetter on the handler/,
        'orders.audited',
      );
    });

    it('refuses an offset not in flight', async () => {
      void deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      await expectRefused(await skip({ offset: '7' }), /offset 7 of orders\.placed\/0 is not in flight/);
    });

    it('refuses an offset that is not a whole number', async () => {
      void deliver('orders.placed', [{ id: 'stuck' }]);
      await settle();
      await expectRefused(await skip({ offset: '-1' }), /offset must be a whole number/);
      await expectRefused(await skip({ offset: '1.5' }), /offset must be a whole number/);
    });

    it('refuses a request: its caller waits for a reply', async () => {
      void driver.consumer
        .deliver('orders.quote', 0, [
          {
            value: '1',
            headers: {
              [KafkaHeaders.CORRELATION_ID]: 'id-1',
              [KafkaHeaders.REPLY_TOPIC]: 'orders.quote.reply',
              [KafkaHeaders.REPLY_PARTITION]: '0',
            },
          },
        ])
        .catch(() => undefined);
      await settle();
      await expectRefused(
        await skip({ topic: 'orders.quote' }),
        /is a request: its caller waits for a reply/,
        'orders.quote',
      );
    });

    it('refuses a partition the server does not hold', async () => {
      await expectRefused(await skip({ partition: 9 }), /partition orders\.placed\/9 is not held/);
    });
  });

  it('refuses before listen()', async () => {
    const container = new Container();
    registerControllers(container, [StuckController]);
    const idle = new KafkaServer(container, { driver: new FakeKafkaDriver(), logger: silentLogger });
    const outcome = await idle.skipRecord({
      type: 'skip',
      topic: 'orders.placed',
      partition: 0,
      offset: '0',
      by: 'alice',
    });
    expect(outcome).to.deep.equal({
      accepted: false,
      reason: 'the server is not listening: skip once listen() resolved',
    });
  });
});
