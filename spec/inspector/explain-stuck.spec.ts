import { expect } from 'chai';
import { Container } from 'inversify';
import { firstValueFrom, type Subscription } from 'rxjs';
import {
  consume,
  Controller,
  EventPattern,
  KafkaClient,
  KafkaHeaders,
  KafkaRetriableException,
  KafkaServer,
  MessagePattern,
  registerControllers,
  RxKafkaError,
  silentLogger,
  type CommittableRecord,
} from '../../lib';
import { explainStuck, StuckWatch, type StuckExplanation } from '../../lib/inspector';
import { createRebalanceStartedEvent } from '../../lib/connection/connection-events';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { eventually } from '../reliability/support/eventually';

const settle = () => new Promise((resolve) => setImmediate(resolve));

function createDeferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

/** Far enough past the spec's start that everything begun in it is past a 30 s threshold. */
const LATER_MS = 60_500;

describe('explainStuck() (on a fake driver)', () => {
  let hang = createDeferred();

  @Controller()
  class StuckController {
    @EventPattern('stuck.hang')
    async hang(): Promise<void> {
      await hang.promise;
    }

    @MessagePattern('stuck.ask')
    ask(): { ok: boolean } {
      return { ok: true };
    }

    @MessagePattern('stuck.quote', { retry: { attempts: 2, backoffMs: 600_000, maxBackoffMs: 600_000 } })
    quote(): never {
      throw new KafkaRetriableException('pricing busy');
    }

    // A backoff no spec outlives: the handler stays between its attempts.
    @EventPattern('stuck.flaky', { retry: { attempts: 4, backoffMs: 600_000, maxBackoffMs: 600_000 } })
    flaky(): void {
      throw new KafkaRetriableException('inventory store busy');
    }
  }

  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let watch: StuckWatch;
  let startedAt: number;
  const explainLater = (options: { watch?: StuckWatch } = { watch }): StuckExplanation[] =>
    explainStuck([server], { now: () => startedAt + LATER_MS, ...options });

  beforeEach(async () => {
    hang = createDeferred();
    startedAt = Date.now();
    watch = new StuckWatch({ now: () => startedAt });
    driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [StuckController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
  });

  afterEach(async () => {
    watch.close();
    hang.resolve();
    driver.producer.releaseAcks();
    await server.close({ mode: 'abandon' });
  });

  context('when a handler hangs on a record', () => {
    beforeEach(async () => {
      void driver.consumer.deliver('stuck.hang', 0, [{ key: 'order-7', value: '{"n":1}' }], 12);
      await settle();
    });

    it('names the handler, its pattern, the offset and the key, and how long it has run', () => {
      const [explained, ...others] = explainLater();
      expect(others).to.deep.equal([]);
      expect(explained).to.deep.include({
        source: 'server',
        topic: 'stuck.hang',
        partition: 0,
        reason: {
          kind: 'handler-running',
          handler: 'StuckController.hang',
          pattern: 'stuck.hang',
          offset: '12',
          key: 'order-7',
          runningMs: LATER_MS,
        },
        sentence:
          'server stuck.hang/0 has not committed past its start for 60 s: StuckController.hang (stuck.hang) ' +
          'has been running on offset 12, key "order-7" for 60 s',
      });
      expect(explained.clientId).to.equal(server.connection.actor.getSnapshot().context.clientId);
    });

    it('explains nothing while the partition has stood still for less than the threshold', () => {
      expect(explainStuck([server], { now: () => startedAt + 1_000, watch })).to.deep.equal([]);
      expect(
        explainStuck([server], { now: () => startedAt + LATER_MS, watch, thresholdMs: 90_000 }),
      ).to.deep.equal([]);
    });

    it('says it cannot name the handler without a watch that saw it start', () => {
      const [explained] = explainLater({});
      expect(explained.reason).to.deep.equal({ kind: 'unexplained', inFlight: 1 });
      expect(explained.sentence).to.match(/: 1 records in flight and no handler known to run on them/);
    });

    it('explains nothing once the handler is done and its offset committed', async () => {
      hang.resolve();
      await eventually(
        () => server.connection.progress.sample('stuck.hang', 0).inFlight === 0,
        'the finish',
        2_000,
      );
      expect(explainLater()).to.deep.equal([]);
    });
  });

  context('when the held record carries a traceparent header', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

    beforeEach(async () => {
      const traceparent = Buffer.from(`00-${traceId}-00f067aa0ba902b7-01`);
      void driver.consumer.deliver(
        'stuck.hang',
        0,
        [{ key: 'order-8', value: '{}', headers: { traceparent } }],
        3,
      );
      await settle();
    });

    it('names the record’s trace id, in the reason and in the sentence', () => {
      const [explained] = explainLater();
      expect(explained.reason).to.deep.include({ kind: 'handler-running', offset: '3', traceId });
      expect(explained.sentence).to.match(
        new RegExp(`has been running on offset 3, key "order-8", trace ${traceId} for 60 s$`),
      );
    });
  });

  it('names no trace id for a record whose traceparent is malformed', async () => {
    const traceparent = `00-${'z'.repeat(32)}-00f067aa0ba902b7-01`;
    void driver.consumer.deliver('stuck.hang', 0, [{ value: '{}', headers: { traceparent } }], 4);
    await settle();
    const [explained] = explainLater();
    expect(explained.reason).to.include({ kind: 'handler-running' }).and.not.have.property('traceId');
  });

  it('tells a request whose replies wait for Kafka’s acknowledgement, with its correlation id', async () => {
    driver.producer.holdAcks();
    void driver.consumer.deliver('stuck.ask', 0, [
      {
        key: 'hero-1',
        value: '{}',
        headers: {
          [KafkaHeaders.CORRELATION_ID]: 'c-41',
          [KafkaHeaders.REPLY_TOPIC]: 'stuck.ask.reply',
          [KafkaHeaders.REPLY_PARTITION]: '0',
        },
      },
    ]);
    await settle();
    const [explained] = explainLater();
    expect(explained.reason).to.deep.equal({
      kind: 'awaiting-acknowledgement',
      handler: 'StuckController.ask',
      pattern: 'stuck.ask',
      offset: '0',
      key: 'hero-1',
      correlationId: 'c-41',
      waitingMs: LATER_MS,
    });
    expect(explained.sentence).to.equal(
      'server stuck.ask/0 has not committed past its start for 60 s: StuckController.ask (stuck.ask) finished ' +
        'offset 0, key "hero-1" 60 s ago; its replies (correlation id c-41) wait for Kafka\'s acknowledgement',
    );
  });

  it('tells a handler waiting between retries: the attempt, the attempts and when the next starts', async () => {
    const before = Date.now();
    void driver.consumer.deliver('stuck.flaky', 0, [{ key: 'sku-3', value: '{}' }], 5);
    await settle();
    const after = Date.now();
    const [explained] = explainLater();
    const { reason } = explained;
    if (reason.kind !== 'retrying') throw new Error(`expected retrying, got ${reason.kind}`);
    expect(reason).to.deep.include({
      handler: 'StuckController.flaky',
      pattern: 'stuck.flaky',
      offset: '5',
      key: 'sku-3',
      attempt: 1,
      attempts: 4,
    });
    expect(reason.nextAttemptAt).to.be.within(before + 600_000, after + 600_000);
    expect(explained.sentence).to.equal(
      'server stuck.flaky/0 has not committed past its start for 60 s: StuckController.flaky (stuck.flaky) ' +
        `failed attempt 1 of 4 on offset 5, key "sku-3"; the next starts at ${new Date(reason.nextAttemptAt).toISOString()}`,
    );
  });

  it('tells a request handler waiting between retries too', async () => {
    void driver.consumer.deliver('stuck.quote', 0, [
      {
        value: '{}',
        headers: {
          [KafkaHeaders.CORRELATION_ID]: 'c-9',
          [KafkaHeaders.REPLY_TOPIC]: 'stuck.quote.reply',
          [KafkaHeaders.REPLY_PARTITION]: '0',
        },
      },
    ]);
    await settle();
    const [explained] = explainLater();
    expect(explained.reason).to.deep.include({
      kind: 'retrying',
      handler: 'StuckController.quote',
      offset: '0',
      attempt: 1,
      attempts: 2,
    });
    expect(explained.reason).not.to.have.property('key');
    expect(explained.sentence).to.match(
      /StuckController\.quote \(stuck\.quote\) failed attempt 1 of 2 on offset 0; the next starts at /,
    );
  });

  it('tells a partition revoked by a rebalance that drains its records in flight', async () => {
    void driver.consumer.deliver('stuck.hang', 0, [{ value: '{}' }]);
    await settle();
    // The rebalance starts and the group has not joined again: the fake's rebalance() would rejoin at once.
    server.connection.actor.send(createRebalanceStartedEvent());
    await settle();
    const revoking = explainLater().find((explained) => explained.topic === 'stuck.hang');
    expect(revoking?.reason).to.deep.equal({ kind: 'revoking', inFlight: 1 });
    expect(revoking?.sentence).to.equal(
      'server stuck.hang/0 has not committed past its start for 60 s: revoked and draining: 1 records in ' +
        'flight finish before the member rejoins',
    );
  });

  it('tells a partition an incremental rebalance moves away that finishes its records in flight', async () => {
    void driver.consumer.deliver('stuck.hang', 0, [{ value: '{}' }]);
    await settle();
    driver.consumer.revokePartitions({ 'stuck.hang': [0] });
    await settle();
    expect(server.connection.partitions.find((p) => p.context.topic === 'stuck.hang')?.state).to.equal(
      'releasing',
    );
    const releasing = explainLater().find((explained) => explained.topic === 'stuck.hang');
    expect(releasing?.reason).to.deep.equal({ kind: 'releasing', inFlight: 1 });
    expect(releasing?.sentence).to.equal(
      'server stuck.hang/0 has not committed past its start for 60 s: moving to another member: 1 records in ' +
        'flight finish and commit before it is released',
    );
  });

  it('tells a partition an operator paused: who, since when, even with nothing in flight', () => {
    driver.capabilities = { joinsAfterConsume: true, pausesPartitions: true };
    const outcome = server.connection.command({ type: 'pause', topic: 'stuck.ask', partition: 0, by: 'ops' });
    expect(outcome.accepted).to.equal(true);
    const pausedAt = server.connection.partitions.find((view) => view.context.topic === 'stuck.ask')!.context
      .pausedAt!;
    const paused = explainStuck([server], { now: () => pausedAt + LATER_MS }).find(
      (explained) => explained.topic === 'stuck.ask',
    );
    expect(paused?.reason).to.deep.equal({ kind: 'paused', by: 'ops', pausedAt, inFlight: 0 });
    expect(paused?.sentence).to.equal(
      `server stuck.ask/0 has not committed past its start for 60 s: paused by ops at ${new Date(pausedAt).toISOString()}; ` +
        'nothing of it is fetched until it is resumed',
    );
    expect(explainStuck([server], { now: () => pausedAt + 1_000 }), 'within the threshold').to.deep.equal([]);
  });

  it('tells a consumer that holds no partition, with its state and last error', () => {
    driver.consumer.crash(Object.assign(new Error('fenced'), { name: 'KafkaJSProtocolError' }), false);
    const [explained, ...others] = explainStuck([server], { now: () => Date.now() + LATER_MS });
    expect(others).to.deep.equal([]);
    expect(explained.reason).to.deep.include({ kind: 'not-assigned', state: 'failed' });
    expect(explained).to.not.have.property('topic');
    expect(explained.sentence).to.equal(
      'server has held no partition for 60 s (state failed; last error KafkaJSProtocolError: fenced)',
    );
  });

  it('fails with RXK_INVALID_OPTIONS for a negative threshold', () => {
    expect(() => explainStuck([server], { thresholdMs: -1 }))
      .to.throw(RxKafkaError, /thresholdMs is -1/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });
});

describe('explainStuck() of a consume() stream (on a fake driver)', () => {
  let subscription: Subscription | undefined;
  afterEach(() => subscription?.unsubscribe());

  it('tells backpressure: records handed to the stream and not finished, and its bufferSize', async () => {
    const driver = new FakeKafkaDriver();
    const stream = consume({ driver, groupId: 'g', topics: ['t'], logger: silentLogger, bufferSize: 2 });
    const received: CommittableRecord<unknown>[] = [];
    subscription = stream.subscribe((record) => received.push(record));
    await eventually(() => stream.connection.state === 'assigned', 'the join', 5_000);
    void driver.consumers[0].deliver('t', 0, [{ value: '1' }, { value: '2' }, { value: '3' }]);
    await settle();
    const [explained] = explainStuck([stream], { now: () => Date.now() + LATER_MS });
    expect(explained.reason).to.deep.equal({ kind: 'backpressure', inFlight: 3, bufferSize: 2 });
    expect(explained.sentence).to.match(
      /^stream t\/0 has not committed past its start for 60 s: held by backpressure: 3 records handed to the stream are unfinished \(bufferSize 2\); downstream is slow$/,
    );
  });
});

describe('explainStuck() of a client (on a fake driver)', () => {
  let client: KafkaClient;
  afterEach(() => client.close());

  it('tells its oldest pending request: pattern, correlation id, age and reply partition', async () => {
    const driver = new FakeKafkaDriver();
    client = new KafkaClient({ driver, logger: silentLogger, requestTimeoutMs: 0 });
    client.subscribeToResponseOf('hero.kill');
    await client.connect();
    void firstValueFrom(client.send('hero.kill', { dragon: 1 })).catch(() => undefined);
    void firstValueFrom(client.send('hero.kill', { dragon: 2 })).catch(() => undefined);
    await settle();
    const [first] = driver.producer.records;
    const correlationId = String(first.record.headers?.[KafkaHeaders.CORRELATION_ID]);
    const explained = explainStuck([client], { now: () => Date.now() + LATER_MS });
    expect(explained).to.have.length(1);
    expect(explained[0].reason).to.deep.include({
      kind: 'request-pending',
      pattern: 'hero.kill',
      correlationId,
      replyTopic: 'hero.kill.reply',
      replyPartition: 0,
    });
    expect(explained[0].sentence).to.equal(
      `client's oldest request to hero.kill (correlation id ${correlationId}) has waited 60 s for a reply on hero.kill.reply partition 0`,
    );
  });
});
