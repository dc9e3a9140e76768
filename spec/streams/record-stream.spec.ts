import { expect } from 'chai';
import { map, mergeMap, timer, type Subscription } from 'rxjs';
import {
  commitAfter,
  consume,
  RxKafkaError,
  silentLogger,
  type CommittableRecord,
  type ConsumeOptions,
} from '../../lib';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';
import { eventually } from '../reliability/support/eventually';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A stream on a fake driver, subscribed; the records it emitted are kept, uncommitted. */
async function subscribeTo<T = unknown>(options: Partial<ConsumeOptions<T>> = {}) {
  const driver = new FakeKafkaDriver();
  const stream = consume<T>({ driver, groupId: 'g', topics: ['t'], logger: silentLogger, ...options });
  const received: Array<CommittableRecord<T>> = [];
  const subscription = stream.subscribe((record) => received.push(record));
  await eventually(
    () => driver.consumers[0]?.settings !== undefined && stream.connection.state === 'assigned',
    'the join',
    5_000,
  );
  return { driver, stream, received, subscription, consumer: driver.consumers[0] };
}

const values = (count: number) => Array.from({ length: count }, (_, index) => ({ value: `{"n":${index}}` }));

describe('consume() (on a fake driver)', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => subscriptions.splice(0).forEach((subscription) => subscription.unsubscribe()));

  it('emits decoded records: value, key, headers, topic, partition, offset and timestamp', async () => {
    const { consumer, received, subscription } = await subscribeTo();
    subscriptions.push(subscription);
    void consumer.deliver('t', 0, [{ value: '{"n":1}', key: 'k1', headers: { h: Buffer.from('[1]') } }]);
    await settle();
    const [record] = received;
    expect({ ...record }).to.deep.include({
      topic: 't',
      partition: 0,
      offset: '0',
      key: 'k1',
      value: { n: 1 },
      headers: { h: [1] },
      timestamp: '1700000000000',
    });
  });

  it('emits at most bufferSize unfinished records of a partition, and holds the batch until they are finished', async () => {
    const { consumer, received, subscription } = await subscribeTo({ bufferSize: 2 });
    subscriptions.push(subscription);
    let returned = false;
    void consumer.deliver('t', 0, values(5)).then(() => (returned = true));
    await settle();
    expect(received).to.have.length(2);
    received[0].commit();
    await settle();
    expect(received).to.have.length(3);
    received.slice(1).forEach((record) => record.commit());
    await settle();
    expect(received).to.have.length(5);
    expect(returned).to.equal(false);
    received[3].commit();
    received[4].commit();
    await eventually(() => returned, 'the batch to return', 2_000);
    expect(consumer.resolvedOffset('t', 0)).to.equal('5');
  });

  it('resolves only the finished prefix: a record finished out of order waits for those before it', async () => {
    const { consumer, received, subscription } = await subscribeTo();
    subscriptions.push(subscription);
    void consumer.deliver('t', 0, values(3));
    await settle();
    received[2].commit();
    received[1].commit();
    received[1].commit();
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal(undefined);
    received[0].commit();
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal('3');
  });

  it('skips a record whose decoder throws: logs it with its place, commits past it, emits the others', async () => {
    const logger = new RecordingLogger();
    const decode = (value: Buffer | null) => {
      if (String(value) === 'bad') throw new Error('not a number');
      return Number(String(value));
    };
    const { consumer, received, stream, subscription } = await subscribeTo<number>({ decode, logger });
    subscriptions.push(subscription);
    const returned = consumer.deliver('t', 0, [{ value: '1' }, { value: 'bad' }, { value: '3' }]);
    await settle();
    expect(received.map((record) => record.value)).to.deep.equal([1, 3]);
    received.forEach((record) => record.commit());
    await returned;
    expect(consumer.resolvedOffset('t', 0)).to.equal('3');
    expect(
      logger.find('warn', 'its decoder threw', { topic: 't', partition: 0, offset: '1' }),
    ).to.have.length(1);
    subscription.unsubscribe();
    await eventually(() => stream.lastReport !== undefined, 'the report', 5_000);
    expect(stream.lastReport?.decodeFailures).to.equal(1);
  });

  it('on unsubscribe, lets the batch return, resolves nothing more, and reports the unfinished records as abandoned', async () => {
    const { consumer, received, stream, subscription } = await subscribeTo();
    const returned = consumer.deliver('t', 0, values(3));
    await settle();
    received[0].commit();
    subscription.unsubscribe();
    await returned;
    received[1].commit();
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal('1');
    await eventually(() => stream.lastReport !== undefined, 'the report', 5_000);
    expect(stream.lastReport).to.deep.include({
      reason: 'unsubscribe',
      recordsEmitted: 3,
      recordsFinished: 1,
      recordsAbandoned: 2,
    });
  });

  it('on drain(), completes the observable, waits for the pipeline to finish what it holds, then reports', async () => {
    const driver = new FakeKafkaDriver();
    const stream = consume({ driver, groupId: 'g', topics: ['t'], logger: silentLogger });
    let completed = false;
    stream
      .pipe(
        mergeMap((record) => timer(20).pipe(map(() => record))),
        commitAfter(),
      )
      .subscribe({ complete: () => (completed = true) });
    await eventually(() => stream.connection.state === 'assigned', 'the join', 5_000);
    const returned = driver.consumers[0].deliver('t', 0, values(4));
    await settle();
    const report = await stream.drain(5_000);
    await returned;
    expect(completed).to.equal(true);
    expect(report).to.deep.include({
      reason: 'drain',
      timedOut: false,
      recordsEmitted: 4,
      recordsFinished: 4,
      recordsAbandoned: 0,
    });
    expect(driver.consumers[0].committed.get('t/0')).to.equal('4');
  });

  it('on drain() past its deadline, abandons what is still unfinished and says so', async () => {
    const { consumer, stream, received } = await subscribeTo();
    const returned = consumer.deliver('t', 0, values(3));
    await settle();
    received[0].commit();
    const report = await stream.drain(50);
    await returned;
    expect(report).to.deep.include({
      reason: 'drain',
      timedOut: true,
      recordsEmitted: 3,
      recordsFinished: 1,
      recordsAbandoned: 2,
    });
    expect(consumer.resolvedOffset('t', 0)).to.equal('1');
  });

  it('rejects a drain() deadline that is not a whole number of milliseconds', async () => {
    const { stream, subscription } = await subscribeTo();
    subscriptions.push(subscription);
    const failure = await stream.drain(-1).catch((error: unknown) => error);
    expect((failure as RxKafkaError).code).to.equal('RXK_INVALID_OPTIONS');
  });

  it('fails a second subscription while the first is live with RXK_ALREADY_SUBSCRIBED', async () => {
    const { stream, subscription } = await subscribeTo();
    subscriptions.push(subscription);
    let failure: unknown;
    stream.subscribe({ error: (error: unknown) => (failure = error) });
    expect((failure as RxKafkaError).code).to.equal('RXK_ALREADY_SUBSCRIBED');
  });

  it('takes a new subscription once the previous one stopped: a new member, and a report each', async () => {
    const { driver, stream, received, subscription } = await subscribeTo();
    const reports: string[] = [];
    stream.reports$.subscribe((report) => reports.push(report.reason));
    subscription.unsubscribe();
    await eventually(() => reports.length === 1, 'the first report', 5_000);
    const again = stream.subscribe((record) => received.push(record));
    subscriptions.push(again);
    await eventually(
      () => driver.consumers.length === 2 && stream.connection.state === 'assigned',
      'the second join',
      5_000,
    );
    void driver.consumers[1].deliver('t', 0, values(1));
    await settle();
    expect(received).to.have.length(1);
    await stream.drain(1_000);
    expect(reports).to.deep.equal(['unsubscribe', 'drain']);
  });

  it('has no connection while nothing is subscribed', () => {
    const stream = consume({
      driver: new FakeKafkaDriver(),
      groupId: 'g',
      topics: ['t'],
      logger: silentLogger,
    });
    expect(() => stream.connection).to.throw(RxKafkaError, 'subscribe to it first');
  });

  describe('options', () => {
    const codeAndPath = (options: unknown): [unknown, unknown] => {
      try {
        consume(options as ConsumeOptions);
      } catch (error) {
        return [(error as RxKafkaError).code, (error as RxKafkaError).context.path];
      }
      return [undefined, undefined];
    };

    it('rejects a missing groupId, empty topics, a bufferSize of 0 and consumer.groupId with RXK_INVALID_OPTIONS naming the path', () => {
      expect(codeAndPath({ topics: ['t'] })).to.deep.equal(['RXK_INVALID_OPTIONS', 'groupId']);
      expect(codeAndPath({ groupId: 'g', topics: [] })).to.deep.equal(['RXK_INVALID_OPTIONS', 'topics']);
      expect(codeAndPath({ groupId: 'g', topics: ['t'], bufferSize: 0 })).to.deep.equal([
        'RXK_INVALID_OPTIONS',
        'bufferSize',
      ]);
      expect(codeAndPath({ groupId: 'g', topics: ['t'], consumer: { groupId: 'x' } })).to.deep.equal([
        'RXK_INVALID_OPTIONS',
        'consumer.groupId',
      ]);
      expect(codeAndPath({ groupId: 'g', topics: ['t'], client: { brokers: ['nohost'] } })).to.deep.equal([
        'RXK_INVALID_OPTIONS',
        'client.brokers[0]',
      ]);
      expect(codeAndPath({ groupId: 'g', topics: ['t'], bufferSise: 5 })).to.deep.equal([
        'RXK_INVALID_OPTIONS',
        'bufferSise',
      ]);
    });
  });
});

describe('CommittableRecord.retry() (on a fake driver)', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => subscriptions.splice(0).forEach((subscription) => subscription.unsubscribe()));

  /** A stream with `options` on a fake driver that can pause partitions, subscribed and assigned. */
  async function subscribeWith(options: Partial<ConsumeOptions> = {}) {
    const driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: false, pausesPartitions: true };
    const stream = consume({ driver, groupId: 'g', topics: ['t'], logger: silentLogger, ...options });
    const received: CommittableRecord[] = [];
    subscriptions.push(stream.subscribe((record) => received.push(record)));
    await eventually(() => stream.connection.state === 'assigned', 'the join', 5_000);
    return { driver, received, consumer: driver.consumers[0] };
  }

  it('rejects on a stream without retryTopics, naming the option, and leaves the record unfinished', async () => {
    const { consumer, received } = await subscribeWith();
    void consumer.deliver('t', 0, values(1));
    await settle();
    const error = await received[0].retry(new Error('busy')).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(RxKafkaError);
    expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
    expect((error as Error).message).to.include('retryTopics');
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal(undefined);
    received[0].commit();
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal('1');
  });

  it('forwards the record to its first retry topic, then finishes it; a later commit() or retry() does nothing', async () => {
    const { driver, consumer, received } = await subscribeWith({
      retryTopics: { delaysMs: [100] },
    });
    void consumer.deliver('t', 0, values(2));
    await settle();
    expect(received.map((record) => record.attempt)).to.deep.equal([1, 1]);
    expect(await received[0].retry(new Error('busy'))).to.equal('retry');
    const written = driver.producers
      .flatMap((producer) => producer.requests)
      .flatMap((request) => request.topicMessages);
    expect(written.map(({ topic }) => topic)).to.deep.equal(['t.retry.100']);
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal('1');
    received[0].commit();
    expect(await received[0].retry(new Error('again'))).to.equal('ignored');
    received[1].commit();
    await settle();
    expect(consumer.resolvedOffset('t', 0)).to.equal('2');
  });

  it('fails the subscription on a driver that cannot pause partitions, naming the driver', async () => {
    const driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: false };
    const stream = consume({
      driver,
      groupId: 'g',
      topics: ['t'],
      logger: silentLogger,
      retryTopics: { delaysMs: [100] },
    });
    const error = await new Promise<unknown>((resolve) => stream.subscribe({ error: resolve }));
    expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
    expect((error as Error).message).to.include('the KafkaDriver given as driver cannot');
  });
});
