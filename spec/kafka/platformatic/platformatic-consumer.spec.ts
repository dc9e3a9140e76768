import { expect } from 'chai';
import type { FetchedBatch } from '../../../lib/kafka/fetched-batch';
import type { DriverConsumerEvent } from '../../../lib/kafka/kafka-driver';
import type { PlatformaticConsumer } from '../../../lib/kafka/platformatic/platformatic-consumer';
import { DEFAULT_FETCH_MAX_WAIT_MS } from '../../../lib/kafka/platformatic/platformatic-options';
import {
  createFakeBackedConsumer,
  FakeConsumer,
  FakeProtocolError,
} from './support/fake-platformatic-consumer';

function message(offset: number, partition = 0) {
  return {
    topic: 't',
    partition,
    offset: BigInt(offset),
    timestamp: 0n,
    headers: new Map(),
    key: undefined,
    value: Buffer.from(`v${offset}`),
  };
}

function nextEvent(
  consumer: PlatformaticConsumer,
  type: DriverConsumerEvent['type'],
): Promise<DriverConsumerEvent> {
  return new Promise((resolve) => {
    const stop = consumer.onEvent((event) => {
      if (event.type !== type) return;
      stop();
      resolve(event);
    });
  });
}

describe('PlatformaticConsumer (over a fake @platformatic/kafka)', () => {
  beforeEach(() => {
    FakeConsumer.reset();
  });

  it('hands the stream’s records over as one batch per partition, with its group’s join first', async () => {
    const consumer = createFakeBackedConsumer();
    const events: DriverConsumerEvent[] = [];
    consumer.onEvent((event) => events.push(event));
    const batches: FetchedBatch[] = [];
    const handled = new Promise<void>((resolve) => {
      void consumer.connect().then(() =>
        consumer.consume({
          topics: ['t'],
          fromBeginning: true,
          eachBatch: async (batch) => {
            batches.push(batch);
            batch.resolveOffset(batch.batch.messages[batch.batch.messages.length - 1].offset);
            resolve();
          },
        }),
      );
    });
    await new Promise((resolve) => setImmediate(resolve));
    FakeConsumer.created[0].stream.push(message(0));
    FakeConsumer.created[0].stream.push(message(1));
    await handled;
    expect(events[0]).to.deep.include({ type: 'group.joined', assignment: { t: [0] } });
    expect(batches[0].batch.messages.map((record) => record.offset)).to.deep.equal(['0', '1']);
    expect(batches[0].uncommittedOffsets()).to.deep.equal({
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: '2' }] }],
    });
    await consumer.disconnect();
  });

  it('forgets its seeks at a join: the stream starts again at the committed offset, and delivers from there', async () => {
    const consumer = createFakeBackedConsumer();
    const delivered: string[] = [];
    let onDelivered = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        delivered.push(...batch.batch.messages.map((record) => record.offset));
        if (delivered.includes('10')) onDelivered();
      },
    });
    // A seek before the partition moved away, then the join that hands it back: another member committed 5.
    consumer.seek('t', 0, '10');
    FakeConsumer.created[0].emit('consumer:group:join', {
      memberId: 'member-1',
      generationId: 2,
      assignments: [{ topic: 't', partitions: [0] }],
    });
    const handed = new Promise<void>((resolve) => (onDelivered = resolve));
    // The stream sets the committed offset as its position, and says so.
    const { stream } = FakeConsumer.created[0];
    stream.offsetsToFetch.set('t:0', 5n);
    stream.emit('offsets');
    stream.push(message(5));
    stream.push(message(10));
    await handed;
    expect(delivered).to.deep.equal(['5', '10']);
    await consumer.disconnect();
  });

  it('hands over nothing of the old position after a rejoin: each partition starts again at its committed offset', async () => {
    const consumer = createFakeBackedConsumer();
    const delivered: string[][] = [];
    let onDelivered = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        delivered.push(batch.batch.messages.map((record) => record.offset));
        onDelivered();
      },
    });
    const { stream } = FakeConsumer.created[0];
    const firstRead = new Promise<void>((resolve) => (onDelivered = resolve));
    for (const offset of [0, 1, 2, 3, 4]) stream.push(message(offset));
    await firstRead;
    // The rebalance stopped that batch with only 0 and 1 committed: the partition comes back at 2.
    FakeConsumer.created[0].emit('consumer:group:join', {
      memberId: 'member-1',
      generationId: 2,
      assignments: [{ topic: 't', partitions: [0] }],
    });
    // Still in the buffer: the old position's next records. Read before the stream's new positions.
    stream.push(message(5));
    stream.push(message(6));
    await new Promise((resolve) => setImmediate(resolve));
    stream.offsetsToFetch.set('t:0', 2n);
    stream.emit('offsets');
    // The fetch in flight at the join answers after that, from the old position, and moves it on again.
    stream.offsetsToFetch.set('t:0', 9n);
    stream.push(message(7));
    stream.push(message(8));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.offsetsToFetch.get('t:0'), 'the committed offset, set again').to.equal(2n);
    const readAgain = new Promise<void>((resolve) => (onDelivered = resolve));
    for (const offset of [2, 3, 4, 5, 6, 7, 8]) stream.push(message(offset));
    await readAgain;
    expect(delivered).to.deep.equal([
      ['0', '1', '2', '3', '4'],
      ['2', '3', '4', '5', '6', '7', '8'],
    ]);
    await consumer.disconnect();
  });

  it('withdraws a commit in flight at a join: the library’s send after its rejoin carries nothing, and the commit rejects', async () => {
    const consumer = createFakeBackedConsumer();
    await consumer.connect();
    await consumer.consume({ topics: ['t'], fromBeginning: true, eachBatch: async () => undefined });
    const native = FakeConsumer.created[0];
    // The library's commit refused for a rebalance: it rejoins, then sends the same offsets again.
    const sent: number[] = [];
    let rejoined!: () => void;
    native.commit = async ({ offsets }) => {
      sent.push(offsets.length);
      await new Promise<void>((resolve) => (rejoined = resolve));
      sent.push(offsets.length);
    };
    const events: DriverConsumerEvent[] = [];
    consumer.onEvent((event) => events.push(event));
    const committing = consumer.commitOffsets([{ topic: 't', partition: 0, offset: '935' }]);
    await new Promise((resolve) => setImmediate(resolve));
    native.emit('consumer:group:join', {
      memberId: 'member-1',
      generationId: 2,
      assignments: [{ topic: 't', partitions: [0] }],
    });
    rejoined();
    const failure = await committing.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(sent).to.deep.equal([1, 0]);
    expect(failure)
      .to.be.instanceOf(FakeProtocolError)
      .and.to.have.property('apiId', 'REBALANCE_IN_PROGRESS');
    expect(events.map((event) => event.type)).to.deep.equal(['group.joined']);
    await consumer.disconnect();
  });

  it('resolves nothing for a batch read before a join: a kept partition is read again from its committed offset', async () => {
    const consumer = createFakeBackedConsumer();
    let handedOver!: (batch: FetchedBatch) => void;
    const first = new Promise<FetchedBatch>((resolve) => (handedOver = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        handedOver(batch);
        await finished;
      },
    });
    FakeConsumer.created[0].stream.push(message(934));
    const batch = await first;
    FakeConsumer.created[0].emit('consumer:group:join', {
      memberId: 'member-1',
      generationId: 2,
      assignments: [{ topic: 't', partitions: [0] }],
    });
    batch.resolveOffset('934');
    expect(batch.uncommittedOffsets()).to.deep.equal({ topics: [] });
    finish();
    await consumer.disconnect();
  });

  context('when the stream is destroyed by an error (platformatic/kafka#41)', () => {
    it('reports a crash it restarts from, then rejoins with a new consumer and stream', async () => {
      const consumer = createFakeBackedConsumer();
      await consumer.connect();
      await consumer.consume({ topics: ['t'], fromBeginning: false, eachBatch: async () => undefined });
      const crashed = nextEvent(consumer, 'crashed');
      const rejoined = new Promise<DriverConsumerEvent>((resolve) => {
        const stop = consumer.onEvent((event) => {
          if (event.type === 'group.joined' && FakeConsumer.created.length === 2) {
            stop();
            resolve(event);
          }
        });
      });
      const failure = new Error('fetch failed');
      FakeConsumer.created[0].stream.destroy(failure);
      expect(await crashed).to.deep.equal({ type: 'crashed', error: failure, restart: true });
      expect(await rejoined).to.deep.include({ type: 'group.joined', memberId: 'member-2' });
      expect(FakeConsumer.created[0].closed).to.equal(true);
      expect(consumer.native).to.equal(FakeConsumer.created[1]);
      await consumer.disconnect();
    });
  });

  context('when its restarts fail', () => {
    /** Connects, consumes, destroys the stream; resolves with the events up to the outcome `until` names. */
    async function crashAndWatch(
      consumer: PlatformaticConsumer,
      until: (event: DriverConsumerEvent) => boolean,
    ): Promise<DriverConsumerEvent[]> {
      await consumer.connect();
      await consumer.consume({ topics: ['t'], fromBeginning: false, eachBatch: async () => undefined });
      const events: DriverConsumerEvent[] = [];
      const outcome = new Promise<void>((resolve) => {
        consumer.onEvent((event) => {
          events.push(event);
          if (until(event)) resolve();
        });
      });
      FakeConsumer.created[0].stream.destroy(new Error('fetch failed'));
      await outcome;
      return events;
    }

    it('keeps trying past its list of waits while the broker cannot be reached, then rejoins', async () => {
      // Consumers 2 to 7 (six restarts, one more than the list of waits) find no broker listening.
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), {
        code: 'ECONNREFUSED',
      });
      FakeConsumer.failMetadata = (n) => (n >= 2 && n <= 7 ? refused : undefined);
      const consumer = createFakeBackedConsumer({ restartDelaysMs: [1, 1, 1, 1, 1] });
      const events = await crashAndWatch(
        consumer,
        (event) => event.type === 'group.joined' || (event.type === 'crashed' && !event.restart),
      );
      expect(events.map((event) => event.type)).to.deep.equal(['crashed', 'group.joined']);
      expect(FakeConsumer.created).to.have.length(8);
      await consumer.disconnect();
    });

    it('gives up with restart: false once its list of waits is spent on a failure that is not the network', async () => {
      const refusal = new Error('not authorized to read the topic');
      FakeConsumer.failMetadata = (n) => (n >= 2 ? refusal : undefined);
      const consumer = createFakeBackedConsumer({ restartDelaysMs: [1, 1, 1] });
      const events = await crashAndWatch(consumer, (event) => event.type === 'crashed' && !event.restart);
      expect(events.at(-1)).to.deep.equal({ type: 'crashed', error: refusal, restart: false });
      expect(FakeConsumer.created).to.have.length(4);
      await consumer.disconnect();
    });
  });

  it('reports the offsets a fetch passed without a record (a trailing transaction marker) as records.skipped', async () => {
    const consumer = createFakeBackedConsumer();
    const handed: string[] = [];
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        handed.push(...batch.batch.messages.map((record) => record.offset));
        batch.resolveOffset(batch.batch.messages[batch.batch.messages.length - 1].offset);
      },
    });
    const skipped = nextEvent(consumer, 'records.skipped');
    const { stream } = FakeConsumer.created[0];
    // As @platformatic/kafka does: the fetch's position moves past the marker at 2, its records are pushed.
    stream.emit('fetch');
    stream.offsetsToFetch.set('t:0', 3n);
    stream.push(message(0));
    stream.push(message(1));
    expect(await skipped).to.deep.equal({
      type: 'records.skipped',
      topic: 't',
      partition: 0,
      lastOffset: '2',
    });
    expect(handed).to.deep.equal(['0', '1']);
    await consumer.disconnect();
  });

  it('drops a paused partition’s records, and on resume fetches it again from the first one dropped', async () => {
    const consumer = createFakeBackedConsumer();
    const handed: string[] = [];
    let onHanded = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        handed.push(...batch.batch.messages.map((record) => record.offset));
        batch.resolveOffset(batch.batch.messages[batch.batch.messages.length - 1].offset);
        onHanded();
      },
    });
    const { stream } = FakeConsumer.created[0];
    const handedOnce = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(0));
    await handedOnce;
    consumer.pause('t', 0);
    stream.offsetsToFetch.set('t:0', 3n);
    stream.push(message(1));
    stream.push(message(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).to.deep.equal(['0']);
    consumer.resume('t', 0);
    expect(stream.offsetsToFetch.get('t:0')).to.equal(1n);
    // The records fetched again from there are handed over.
    const handedAgain = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(1));
    stream.push(message(2));
    await handedAgain;
    expect(handed).to.deep.equal(['0', '1', '2']);
    await consumer.disconnect();
  });

  it('drops what a fetch from before the resume brings of a paused partition, and reads it again from the first dropped', async () => {
    const consumer = createFakeBackedConsumer();
    const handed: string[] = [];
    let onHanded = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        handed.push(...batch.batch.messages.map((record) => record.offset));
        batch.resolveOffset(batch.batch.messages[batch.batch.messages.length - 1].offset);
        onHanded();
      },
    });
    const { stream } = FakeConsumer.created[0];
    const handedOnce = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(0));
    await handedOnce;
    consumer.pause('t', 0);
    stream.offsetsToFetch.set('t:0', 3n);
    stream.push(message(1));
    stream.push(message(2));
    await new Promise((resolve) => setImmediate(resolve));
    consumer.resume('t', 0);
    expect(stream.offsetsToFetch.get('t:0')).to.equal(1n);
    // A fetch sent at the paused position (3) answers after the resume with a record written meanwhile: as
    // @platformatic/kafka does, it moves the position past it. Handed over, it would skip 1 and 2.
    stream.emit('fetch');
    stream.offsetsToFetch.set('t:0', 4n);
    stream.push(message(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).to.deep.equal(['0']);
    expect(stream.offsetsToFetch.get('t:0')).to.equal(1n);
    const handedAgain = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(1));
    stream.push(message(2));
    stream.push(message(3));
    await handedAgain;
    expect(handed).to.deep.equal(['0', '1', '2', '3']);
    await consumer.disconnect();
  });

  it('resumes after its last resolved record when the pause dropped a second read of records already handled', async () => {
    const consumer = createFakeBackedConsumer();
    const handed: string[] = [];
    // As the runtime with a retry topic: a batch stops at a record not due yet, pauses its partition, and
    // resolves the records before it.
    let deferAt: number | undefined;
    let onHanded = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        for (const record of batch.batch.messages) {
          if (Number(record.offset) === deferAt) {
            consumer.pause('t', 0);
            break;
          }
          handed.push(record.offset);
          batch.resolveOffset(record.offset);
        }
        onHanded();
      },
    });
    const { stream } = FakeConsumer.created[0];
    const pushed = async (offsets: number[]): Promise<void> => {
      const batchDone = new Promise<void>((resolve) => (onHanded = resolve));
      for (const offset of offsets) stream.push(message(offset));
      await Promise.race([batchDone, new Promise((resolve) => setImmediate(resolve))]);
      await new Promise((resolve) => setImmediate(resolve));
    };
    // Record 0 is not due: the batch gives 0 to 5 back, and the pause drops their next read.
    deferAt = 0;
    await pushed([0, 1, 2, 3, 4, 5]);
    await pushed([0, 1, 2, 3, 4, 5]);
    consumer.resume('t', 0);
    expect(stream.offsetsToFetch.get('t:0')).to.equal(0n);
    // Read from 0 again, the batch handles 0 to 2 and stops at 3, not due yet.
    deferAt = 3;
    await pushed([0, 1, 2, 3, 4, 5]);
    expect(handed).to.deep.equal(['0', '1', '2']);
    // The batch's seek back to 3 and the resume's seek to 0 both had the stream fetch from 0: that second
    // read of 0 to 5 comes while the partition is paused, and is dropped. 0 to 2 are handled already.
    await pushed([0, 1, 2, 3, 4, 5]);
    deferAt = undefined;
    consumer.resume('t', 0);
    expect(stream.offsetsToFetch.get('t:0')).to.equal(3n);
    await pushed([0, 1, 2, 3, 4, 5]);
    expect(handed).to.deep.equal(['0', '1', '2', '3', '4', '5']);
    await consumer.disconnect();
  });

  it('hands a resumed partition’s records over once when the stale fetch’s records are read after the new position’s', async () => {
    const consumer = createFakeBackedConsumer();
    const handed: string[] = [];
    let onHanded = (): void => undefined;
    await consumer.connect();
    await consumer.consume({
      topics: ['t'],
      fromBeginning: true,
      eachBatch: async (batch) => {
        handed.push(...batch.batch.messages.map((record) => record.offset));
        batch.resolveOffset(batch.batch.messages[batch.batch.messages.length - 1].offset);
        onHanded();
      },
    });
    const { stream } = FakeConsumer.created[0];
    const handedOnce = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(0));
    await handedOnce;
    consumer.pause('t', 0);
    stream.offsetsToFetch.set('t:0', 3n);
    stream.push(message(1));
    stream.push(message(2));
    await new Promise((resolve) => setImmediate(resolve));
    consumer.resume('t', 0);
    // Still in the stream's buffer when the new position's fetch answers (1 to 4, position 5): the stale
    // fetch's 3 and 4, read first, apply the seek again, so the stream reads 1 to 4 once more.
    const handedAgain = new Promise<void>((resolve) => (onHanded = resolve));
    stream.push(message(3));
    stream.push(message(4));
    stream.offsetsToFetch.set('t:0', 5n);
    for (const offset of [1, 2, 3, 4]) stream.push(message(offset));
    await handedAgain;
    expect(stream.offsetsToFetch.get('t:0')).to.equal(1n);
    for (const offset of [1, 2, 3, 4, 5]) stream.push(message(offset));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).to.deep.equal(['0', '1', '2', '3', '4', '5']);
    await consumer.disconnect();
  });

  context("with groupProtocol 'consumer' (KIP-848)", () => {
    it('joins with it and reports the partitions each heartbeat added and took, taken first', async () => {
      const consumer = createFakeBackedConsumer({ groupProtocol: 'consumer' });
      const events: DriverConsumerEvent[] = [];
      consumer.onEvent((event) => events.push(event));
      await consumer.connect();
      await consumer.consume({ topics: ['t'], fromBeginning: true, eachBatch: async () => undefined });
      const native = FakeConsumer.created[0];
      expect(native.options.groupProtocol).to.equal('consumer');
      native.assignments = [{ topic: 't', partitions: [0, 1] }];
      native.emit('consumer:heartbeat:end');
      native.emit('consumer:heartbeat:end');
      native.assignments = [{ topic: 't', partitions: [0, 2] }];
      native.emit('consumer:heartbeat:end');
      expect(
        events.map((event) => ('partitions' in event ? [event.type, event.partitions] : event.type)),
      ).to.deep.equal([
        'group.joined',
        ['partitions.assigned', { t: [0, 1] }],
        ['partitions.revoked', { t: [1] }],
        ['partitions.assigned', { t: [2] }],
      ]);
      await consumer.disconnect();
    });

    it('hands over no record twice when the library restarts a kept partition at its committed offset', async () => {
      const consumer = createFakeBackedConsumer({ groupProtocol: 'consumer' });
      const delivered: string[] = [];
      let onDelivered = (): void => undefined;
      await consumer.connect();
      await consumer.consume({
        topics: ['t'],
        fromBeginning: true,
        eachBatch: async (batch) => {
          delivered.push(
            ...batch.batch.messages.map((record) => `${batch.batch.partition}@${record.offset}`),
          );
          for (const record of batch.batch.messages) batch.resolveOffset(record.offset);
          if (delivered.includes('0@2')) onDelivered();
        },
      });
      const native = FakeConsumer.created[0];
      native.assignments = [{ topic: 't', partitions: [0] }];
      native.emit('consumer:heartbeat:end');
      native.stream.push(message(0));
      native.stream.push(message(1));
      await new Promise((resolve) => setImmediate(resolve));
      // Partition 1 added: the library fetches every partition it holds again from the committed offset.
      native.assignments = [{ topic: 't', partitions: [0, 1] }];
      native.emit('consumer:heartbeat:end');
      const handed = new Promise<void>((resolve) => (onDelivered = resolve));
      native.stream.push(message(0));
      native.stream.push(message(1));
      native.stream.push(message(0, 1));
      native.stream.push(message(2));
      await handed;
      expect(delivered).to.deep.equal(['0@0', '0@1', '1@0', '0@2']);
      await consumer.disconnect();
    });

    it('refuses consumer.sessionTimeout and heartbeatInterval, which the broker sets under KIP-848', () => {
      const error = (() => {
        try {
          createFakeBackedConsumer({
            groupProtocol: 'consumer',
            options: { maxWaitTime: DEFAULT_FETCH_MAX_WAIT_MS, sessionTimeout: 10_000 },
          });
        } catch (failure) {
          return failure as { code: string; message: string; context: { path?: string } };
        }
        throw new Error('expected RXK_INVALID_OPTIONS');
      })();
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal('consumer.sessionTimeout');
      expect(error.message).to.include('group.consumer.session.timeout.ms');
    });
  });

  it('refuses a topic pattern with RXK_INVALID_OPTIONS', async () => {
    const consumer = createFakeBackedConsumer();
    await consumer.connect();
    const error = await consumer
      .consume({ topics: [/orders\..*/], fromBeginning: false, eachBatch: async () => undefined })
      .catch((failure: unknown) => failure);
    expect((error as { code: string }).code).to.equal('RXK_INVALID_OPTIONS');
    expect((error as Error).message).to.contain('/orders\\..*/');
    await consumer.disconnect();
  });
});
