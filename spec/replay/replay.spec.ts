import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { replay, silentLogger, type ReplayOptions, type ReplayRecord } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import {
  createTopics,
  produceTransactionRounds,
  testKafka,
  uniqueName,
  withAdmin,
} from '../support/kafka-fixtures';
import { SPEC_DRIVER, specDriver } from '../support/spec-driver';

interface Produced {
  readonly partition: number;
  readonly value: unknown;
  readonly timestamp?: number;
}

async function produce(topic: string, records: readonly Produced[]): Promise<void> {
  // Idempotent: a send retried right after the topic's creation ("not the leader") would otherwise write
  // its records twice.
  const producer = (await testKafka()).producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: records.map(({ partition, value, timestamp }) => ({
        partition,
        value: JSON.stringify(value),
        ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

async function replayOptions<T>(options: ReplayOptions<T>): Promise<ReplayOptions<T>> {
  const { brokers } = await useTestBroker();
  return { client: { brokers: [...brokers] }, logger: silentLogger, ...specDriver(), ...options };
}

/** Offsets seen per partition, in the order they arrived. */
function offsetsByPartition(records: readonly ReplayRecord[]): Record<number, number[]> {
  const seen: Record<number, number[]> = {};
  for (const { partition, offset } of records) (seen[partition] ??= []).push(Number(offset));
  return seen;
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('replay() against a broker', function () {
  this.timeout(60_000);

  context("from 'earliest' until 'caught-up'", () => {
    it('emits exactly the records written before it started, in partition order, then completes; caughtUp$ fires once', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-earliest'), numPartitions: 3 }]);
      const written = Array.from({ length: 30 }, (_, n) => ({ partition: n % 3, value: { n } }));
      await produce(topic, written);
      const source = replay(topic, await replayOptions({}));
      let caughtUp = 0;
      source.caughtUp$.subscribe(() => (caughtUp += 1));

      const records = await lastValueFrom(source.pipe(toArray()));
      await source.close();

      expect(offsetsByPartition(records)).to.deep.equal({
        0: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        1: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        2: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      });
      expect(records.map(({ value }) => (value as { n: number }).n).sort((a, b) => a - b)).to.deep.equal(
        written.map(({ value }) => value.n),
      );
      expect(caughtUp).to.equal(1);
    });

    it('reads on across many fetches of a partition (each fetch one record batch)', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-fetches'), numPartitions: 2 }]);
      const padding = 'x'.repeat(400);
      // Twelve sends: twelve record batches per partition (Kafka hands out whole batches, whatever the limit).
      for (let send = 0; send < 12; send += 1) {
        await produce(
          topic,
          Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: { n: send * 10 + i, padding } })),
        );
      }
      // At most ~1 KB per partition per fetch: one record batch (five records) each time.
      const source = replay(topic, await replayOptions({ consumer: { maxBytesPerPartition: 1_024 } }));

      const records = await lastValueFrom(source.pipe(toArray()));

      const expected = Array.from({ length: 60 }, (_, offset) => offset);
      expect(offsetsByPartition(records)).to.deep.equal({ 0: expected, 1: expected });
    });

    it('completes at once on an empty topic, with caughtUp$ fired once', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-empty'), numPartitions: 2 }]);
      const source = replay(topic, await replayOptions({}));
      const caughtUp = firstValueFrom(source.caughtUp$);

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(records).to.deep.equal([]);
      expect((await caughtUp).offsets).to.deep.equal({ 0: '0', 1: '0' });
    });
  });

  context('on a topic written in transactions', () => {
    async function produceTransactions(topic: string): Promise<void> {
      const producer = (await testKafka()).producer({
        transactionalId: uniqueName('spec-txn'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      try {
        for (let round = 0; round < 2; round += 1) {
          const transaction = await producer.transaction();
          await transaction.send({
            topic,
            messages: [0, 1, 2, 3].map((n) => ({ partition: n % 2, value: JSON.stringify({ round, n }) })),
          });
          await transaction.commit();
        }
      } finally {
        await producer.disconnect();
      }
    }

    // Per partition: two records, a commit marker, two records, a commit marker (offsets 2 and 5).
    const expected = { 0: [0, 1, 3, 4], 1: [0, 1, 3, 4] };

    it("reaches the end past a trailing commit marker fetched with the records, and completes in 'caught-up' mode", async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-txn'), numPartitions: 2 }]);
      await produceTransactions(topic);
      const source = replay(topic, await replayOptions({}));

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(offsetsByPartition(records)).to.deep.equal(expected);
    });

    it('reaches the end past a commit marker that came in a fetch of its own', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-txn-alone'), numPartitions: 2 }]);
      await produceTransactions(topic);
      // One record batch per fetch: the marker batches arrive alone, and kafkajs never calls eachBatch for them.
      const source = replay(topic, await replayOptions({ consumer: { maxBytesPerPartition: 64 } }));

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(offsetsByPartition(records)).to.deep.equal(expected);
    });
  });

  context('on a topic with aborted transactions', () => {
    it('emits only the committed transaction’s records, two aborted ones of the same producer in one fetch left out', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-aborts'), numPartitions: 1 }]);
      // Aborted, aborted, committed, aborted (its marker last).
      await produceTransactionRounds(topic, [false, false, true, false]);
      const source = replay(topic, await replayOptions({}));

      const records = await lastValueFrom(source.pipe(toArray()));

      // Offsets: 0-1 aborted (marker 2), 3-4 aborted (5), 6-7 committed (8), 9-10 aborted (11).
      expect(records.map(({ value }) => value)).to.deep.equal([
        { round: 2, n: 0 },
        { round: 2, n: 1 },
      ]);
      expect(offsetsByPartition(records)).to.deep.equal({ 0: [6, 7] });
    });
  });

  context("until 'live'", () => {
    it('fires caughtUp$ once at the captured end and keeps emitting records written after it', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-live'), numPartitions: 2 }]);
      await produce(
        topic,
        Array.from({ length: 10 }, (_, n) => ({ partition: n % 2, value: { n } })),
      );
      const source = replay(topic, await replayOptions({ until: 'live' }));
      const caughtUpOffsets: Array<Record<number, string>> = [];
      source.caughtUp$.subscribe(({ offsets }) => caughtUpOffsets.push(offsets));
      const records: ReplayRecord[] = [];
      const subscription = source.subscribe((record) => records.push(record));
      try {
        await waitUntil('caught up', () => caughtUpOffsets.length > 0);
        expect(records).to.have.length(10);

        await produce(
          topic,
          Array.from({ length: 6 }, (_, n) => ({ partition: n % 2, value: { n: 10 + n } })),
        );
        await waitUntil('the later records arrived', () => records.length === 16);

        expect(caughtUpOffsets).to.deep.equal([{ 0: '5', 1: '5' }]);
        expect(offsetsByPartition(records)).to.deep.equal({
          0: [0, 1, 2, 3, 4, 5, 6, 7],
          1: [0, 1, 2, 3, 4, 5, 6, 7],
        });
      } finally {
        subscription.unsubscribe();
        await source.close();
      }
    });
  });

  context('from a timestamp', () => {
    const base = Date.UTC(2026, 0, 1);
    // Partition 0 at base + 0, 10, 20, 30, 40 s; partition 1 at base + 5, 15, 25, 35, 45 s.
    const timed = Array.from({ length: 10 }, (_, n) => ({
      partition: n % 2,
      value: { n },
      timestamp: base + n * 5_000,
    }));

    it('starts each partition at its first record at or after the timestamp', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-time'), numPartitions: 2 }]);
      await produce(topic, timed);
      // base + 22 s: partition 0's first record at or after it is base + 30 s (offset 3), partition 1's is
      // base + 25 s (offset 2).
      const source = replay(topic, await replayOptions({ from: { timestamp: new Date(base + 22_000) } }));

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(offsetsByPartition(records)).to.deep.equal({ 0: [3, 4], 1: [2, 3, 4] });
      expect(records.every(({ timestamp }) => Number(timestamp) >= base + 22_000)).to.equal(true);
    });

    it('lands exactly on a record whose timestamp equals it', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-time-exact'), numPartitions: 2 }]);
      await produce(topic, timed);
      const source = replay(topic, await replayOptions({ from: { timestamp: base + 15_000 } }));

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(offsetsByPartition(records)).to.deep.equal({ 0: [2, 3, 4], 1: [1, 2, 3, 4] });
    });

    it('emits nothing for a timestamp after every record, and fires caughtUp$ once', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-time-late'), numPartitions: 2 }]);
      await produce(topic, timed);
      const source = replay(topic, await replayOptions({ from: { timestamp: base + 3_600_000 } }));
      let caughtUp = 0;
      source.caughtUp$.subscribe(() => (caughtUp += 1));

      const records = await lastValueFrom(source.pipe(toArray()));
      await source.close();

      expect(records).to.deep.equal([]);
      expect(caughtUp).to.equal(1);
    });
  });

  context('from given offsets', () => {
    it('starts each named partition at its offset, and the others at the earliest', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-offsets'), numPartitions: 3 }]);
      await produce(
        topic,
        Array.from({ length: 15 }, (_, n) => ({ partition: n % 3, value: { n } })),
      );
      const source = replay(topic, await replayOptions({ from: { offsets: { 0: 3, 1: '1' } } }));

      const records = await lastValueFrom(source.pipe(toArray()));

      expect(offsetsByPartition(records)).to.deep.equal({ 0: [3, 4], 1: [1, 2, 3, 4], 2: [0, 1, 2, 3, 4] });
      expect(records.find((r) => r.partition === 0)?.value).to.deep.equal({ n: 9 });
    });

    it('fails the read with RXK_INVALID_OPTIONS for a partition the topic does not have', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-bad-partition'), numPartitions: 1 }]);
      const source = replay(topic, await replayOptions({ from: { offsets: { 4: 0 } } }));

      const error = await lastValueFrom(source).then(
        () => undefined,
        (failure: unknown) => failure,
      );

      expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
      expect(String((error as Error).message)).to.contain('partition 4');
    });
  });

  context('its consumer group', () => {
    if (SPEC_DRIVER === 'platformatic') {
      it('joins no group: it reads by offsets with its own Fetch', async () => {
        const [topic] = await createTopics([{ topic: uniqueName('replay-nogroup'), numPartitions: 2 }]);
        await produce(
          topic,
          Array.from({ length: 8 }, (_, n) => ({ partition: n % 2, value: { n } })),
        );
        const listedBefore = await withAdmin((admin) => admin.listGroups());
        const source = replay(topic, await replayOptions({ until: 'live', groupIdPrefix: 'spec-replay' }));
        const caughtUp = firstValueFrom(source.caughtUp$);
        const received: ReplayRecord[] = [];
        const subscription = source.subscribe((record) => received.push(record));
        await caughtUp;

        const listedWhileReading = await withAdmin((admin) => admin.listGroups());
        subscription.unsubscribe();
        await source.close();

        expect(source.groupId).to.equal(undefined);
        const before = new Set(listedBefore.groups.map((group) => group.groupId));
        expect(
          listedWhileReading.groups.map((group) => group.groupId).filter((id) => !before.has(id)),
        ).to.deep.equal([]);
        expect(offsetsByPartition(received)).to.deep.equal({ 0: [0, 1, 2, 3], 1: [0, 1, 2, 3] });
      });
      return;
    }
    it('commits no offsets while it reads, and is gone from the broker after close()', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('replay-group'), numPartitions: 2 }]);
      await produce(
        topic,
        Array.from({ length: 8 }, (_, n) => ({ partition: n % 2, value: { n } })),
      );
      const source = replay(topic, await replayOptions({ until: 'live', groupIdPrefix: 'spec-replay' }));
      const caughtUp = firstValueFrom(source.caughtUp$);
      const subscription = source.subscribe();
      await caughtUp;
      const groupId = source.groupId as string;
      expect(groupId).to.match(/^spec-replay-[0-9a-f]{16}$/);

      const listedWhileReading = await withAdmin((admin) => admin.listGroups());
      const [committed] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
      subscription.unsubscribe();
      await source.close();
      const listedAfter = await withAdmin((admin) => admin.listGroups());

      expect(listedWhileReading.groups.map((group) => group.groupId)).to.include(groupId);
      expect(committed.partitions.map(({ offset }) => offset)).to.deep.equal(['-1', '-1']);
      expect(listedAfter.groups.map((group) => group.groupId)).not.to.include(groupId);
    });
  });
});
