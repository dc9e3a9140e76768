import { expect } from 'chai';
import { Observable } from 'rxjs';
import { RxKafkaError } from '../../lib/errors';
import type { ConsumerSettings } from '../../lib/kafka/kafka-driver';
import type { CommittableRecord } from '../../lib/streams/committable-record';
import { resolveConsumeOptions, type ConsumeOptions } from '../../lib/streams/consume-options';
import { StreamMember } from '../../lib/streams/stream-member';
import { FakeKafkaDriver, type FakeConsumer, type FakeRecordInput } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

/** What a subscriber of the member saw. */
interface Seen {
  readonly records: Array<CommittableRecord<unknown>>;
  completed: boolean;
  error: unknown;
}

/** Resolves once `check()` holds, looking after each turn of the event loop; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A member of group `g` on topic `t` over a fake driver, subscribed to as consume() does. */
function createMember(options: Partial<ConsumeOptions<unknown>> = {}, driver = new FakeKafkaDriver()) {
  const logger = new RecordingLogger();
  const resolved = resolveConsumeOptions<unknown>({
    driver,
    groupId: 'g',
    topics: ['t'],
    logger,
    ...options,
  });
  const seen: Seen = { records: [], completed: false, error: undefined };
  let member: StreamMember<unknown> | undefined;
  new Observable<CommittableRecord<unknown>>((subscriber) => {
    member = new StreamMember(resolved, driver, subscriber);
    member.start();
  }).subscribe({
    next: (record) => seen.records.push(record),
    complete: () => (seen.completed = true),
    error: (error: unknown) => (seen.error = error),
  });
  if (!member) throw new Error('the member was not created');
  return { member, driver, logger, seen };
}

/** A member that joined the group and may emit. */
async function createJoinedMember(options: Partial<ConsumeOptions<unknown>> = {}) {
  const setup = createMember(options);
  await until(() => setup.member.connection.state === 'assigned', 'the join');
  return { ...setup, consumer: setup.driver.consumer };
}

const values = (count: number): FakeRecordInput[] =>
  Array.from({ length: count }, (_, index) => ({ value: `{"n":${index}}` }));

function deliver(
  consumer: FakeConsumer,
  count: number,
  partition = 0,
): { returned: () => boolean; done: Promise<void> } {
  let returned = false;
  const done = consumer.deliver('t', partition, values(count)).then(() => void (returned = true));
  return { returned: () => returned, done };
}

describe('StreamMember', () => {
  context('once started', () => {
    it('joins the group as one consumer of its topics, with no producer connected', async () => {
      const { driver, member } = await createJoinedMember({ fromBeginning: true, partitionConcurrency: 3 });
      const [consumer] = driver.consumers;
      expect(consumer.settings.groupId).to.equal('g');
      expect(consumer.topics).to.deep.equal(['t']);
      expect(driver.producers.every((producer) => !producer.connected)).to.equal(true);
      expect(member.mayEmit()).to.equal(true);
      expect(member.isAbandoning()).to.equal(false);
      await member.abandonAndLeave();
    });

    it("hands each fetched batch's records to the subscriber and counts them", async () => {
      const { consumer, member, seen } = await createJoinedMember();
      const batch = deliver(consumer, 3);
      await until(() => seen.records.length === 3, 'the records');
      expect(seen.records.map((record) => record.value)).to.deep.equal([{ n: 0 }, { n: 1 }, { n: 2 }]);
      expect(batch.returned()).to.equal(false);
      seen.records.forEach((record) => record.commit());
      await batch.done;
      expect(member.counts).to.deep.equal({ emitted: 3, finished: 3, decodeFailures: 0 });
      await member.abandonAndLeave();
    });
  });

  context('when its decoder throws on a record', () => {
    it('skips the record, counts it in the report and commits past it', async () => {
      const decode = (value: Buffer | null): unknown => {
        if (String(value) === 'poison') throw new Error('not JSON');
        return String(value);
      };
      const { consumer, member, seen, logger } = await createJoinedMember({ decode });
      const batch = consumer.deliver('t', 0, [{ value: 'a' }, { value: 'poison' }, { value: 'b' }]);
      await until(() => seen.records.length === 2, 'the good records');
      seen.records.forEach((record) => record.commit());
      await batch;
      expect(seen.records.map((record) => record.value)).to.deep.equal(['a', 'b']);
      expect(consumer.resolvedOffset('t', 0)).to.equal('3');
      expect(logger.find('warn', 'skipping a record of t/0 at 1: its decoder threw')).to.have.length(1);
      expect(await member.drain(0)).to.deep.include({
        recordsEmitted: 2,
        recordsFinished: 2,
        decodeFailures: 1,
      });
    });
  });

  describe('.drain()', () => {
    it('completes the subscriber at once, then waits for the emitted records before it leaves', async () => {
      const { consumer, member, seen } = await createJoinedMember();
      void deliver(consumer, 2);
      await until(() => seen.records.length === 2, 'the records');
      let report: unknown;
      const draining = member.drain(0).then((stopped) => (report = stopped));
      await until(() => seen.completed, 'the completion');
      expect(member.mayEmit()).to.equal(false);
      await settle();
      expect(report).to.equal(undefined);
      expect(consumer.connected).to.equal(true);

      seen.records.forEach((record) => record.commit());
      await draining;
      expect(consumer.connected).to.equal(false);
      expect(report).to.deep.include({
        reason: 'drain',
        timedOut: false,
        recordsEmitted: 2,
        recordsFinished: 2,
        recordsAbandoned: 0,
        decodeFailures: 0,
        committed: [{ topic: 't', partition: 0, offset: '2' }],
      });
    });

    it('emits nothing of a batch fetched once drain() was called', async () => {
      const { consumer, member, seen } = await createJoinedMember();
      void deliver(consumer, 1);
      await until(() => seen.records.length === 1, 'the first record');
      const draining = member.drain(0);
      await consumer.deliver('t', 1, values(2));
      await until(() => seen.completed, 'the completion');
      await consumer.deliver('t', 2, values(2));
      expect(seen.records).to.have.length(1);
      seen.records[0].commit();
      expect((await draining).recordsEmitted).to.equal(1);
    });

    it('abandons what is unfinished once its deadline passes, and says so', async () => {
      const { consumer, member, seen } = await createJoinedMember();
      const batch = deliver(consumer, 3);
      await until(() => seen.records.length === 3, 'the records');
      seen.records[0].commit();
      const report = await member.drain(5);
      await batch.done;
      expect(report).to.deep.include({
        reason: 'drain',
        timedOut: true,
        recordsEmitted: 3,
        recordsFinished: 1,
        recordsAbandoned: 2,
      });
      expect(member.isAbandoning()).to.equal(true);
      expect(consumer.resolvedOffset('t', 0)).to.equal('1');
    });

    it('gives every caller the one report of the one stop, and logs it at info', async () => {
      const { member, logger } = await createJoinedMember({ client: { clientId: 'heroes-stream' } });
      const [first, second] = await Promise.all([member.drain(0), member.drain(0)]);
      expect(second).to.equal(first);
      expect(await member.abandonAndLeave()).to.equal(first);
      const lines = logger.find('info', 'stream heroes-stream of group g stopped (drain)');
      expect(lines).to.have.length(1);
      expect(lines[0].fields).to.include({ reason: 'drain', recordsEmitted: 0 });
    });
  });

  describe('.abandonAndLeave()', () => {
    it('lets a held batch return at once, resolves nothing more, and reports the unfinished records', async () => {
      const { consumer, member, seen } = await createJoinedMember();
      const batch = deliver(consumer, 3);
      await until(() => seen.records.length === 3, 'the records');
      seen.records[0].commit();
      await settle();
      const report = await member.abandonAndLeave();
      await batch.done;
      seen.records[1].commit();
      seen.records[2].commit();
      await settle();
      expect(consumer.resolvedOffset('t', 0)).to.equal('1');
      expect(seen.completed).to.equal(false);
      expect(report).to.deep.include({
        reason: 'unsubscribe',
        timedOut: false,
        recordsEmitted: 3,
        recordsFinished: 1,
        recordsAbandoned: 2,
        committed: [{ topic: 't', partition: 0, offset: '1' }],
      });
      expect(consumer.connected).to.equal(false);
    });

    it('may be asked from inside an emission: the batch stops there', async () => {
      const driver = new FakeKafkaDriver();
      let member: StreamMember<unknown> | undefined;
      const received: unknown[] = [];
      const options = resolveConsumeOptions<unknown>({
        driver,
        groupId: 'g',
        topics: ['t'],
        logger: new RecordingLogger(),
      });
      const subscription = new Observable<CommittableRecord<unknown>>((subscriber) => {
        member = new StreamMember(options, driver, subscriber);
        member.start();
        return () => void member?.abandonAndLeave();
      }).subscribe((record) => {
        received.push(record.value);
        subscription.unsubscribe();
      });
      await until(() => member?.connection.state === 'assigned', 'the join');
      await driver.consumer.deliver('t', 0, values(3));
      expect(received).to.deep.equal([{ n: 0 }]);
      expect(member?.mayEmit()).to.equal(false);
    });
  });

  context('when its first connect fails', () => {
    it("ends the subscription with the connect's typed error", async () => {
      const driver = new FakeKafkaDriver();
      const missing = new RxKafkaError('RXK_TOPIC_NOT_FOUND', "topic 't' does not exist", { topic: 't' });
      const createConsumer = driver.createConsumer.bind(driver);
      driver.createConsumer = (settings: ConsumerSettings) => {
        const consumer = createConsumer(settings);
        consumer.consume = () => Promise.reject(missing);
        return consumer;
      };
      const { seen } = createMember({}, driver);
      await until(() => seen.error !== undefined, 'the error');
      expect(seen.error).to.equal(missing);
    });
  });

  context('when the connection fails after it served', () => {
    it('ends the subscription with RXK_NOT_CONNECTED naming the reason, and stops with reason error', async () => {
      const { consumer, member, seen } = await createJoinedMember({ client: { clientId: 'heroes-stream' } });
      consumer.crash(new Error('coordinator gone'), false);
      await until(() => seen.error !== undefined, 'the error');
      const error = seen.error as RxKafkaError;
      expect(error.code).to.equal('RXK_NOT_CONNECTED');
      expect(error.message).to.equal(
        'stream heroes-stream of group g lost its connection and stopped reconnecting: Error: coordinator gone',
      );
      expect(error.context).to.deep.equal({ state: 'failed' });
      expect((await member.drain(0)).reason).to.equal('error');
    });
  });
});
