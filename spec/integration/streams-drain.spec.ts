import { expect } from 'chai';
import { filter, firstValueFrom, map, mergeMap, NEVER, of, take, tap, timer, toArray } from 'rxjs';
import { commitAfter, consume, silentLogger, type StreamReport } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';

const PARTITIONS = 2;
const RECORDS = 400;

/** A topic of RECORDS records over PARTITIONS partitions, and its end offsets. */
async function createFilledTopic(prefix: string): Promise<{ topic: string; ends: Record<number, string> }> {
  const [topic] = await createTopics([{ topic: uniqueName(prefix), numPartitions: PARTITIONS }]);
  await produceRecords(
    topic,
    Array.from({ length: RECORDS }, (_, n) => ({ key: `k${n % 10}`, value: JSON.stringify({ n }) })),
  );
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return { topic, ends: Object.fromEntries(offsets.map(({ partition, high }) => [partition, high])) };
}

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, number>> {
  const [answer] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return Object.fromEntries(answer.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
}

describe('consume() stopping (integration)', function () {
  this.timeout(90_000);
  let brokers: string[];
  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
  });
  // A short fetch wait: kafkajs's disconnect waits for the fetch in flight (5 s by default when idle).
  const streamOptions = (topic: string, groupId: string) => ({
    ...specDriver(),
    client: { brokers },
    groupId,
    topics: [topic],
    fromBeginning: true,
    consumer: { maxWaitTimeInMs: 200 },
    logger: silentLogger,
  });

  describe('.drain()', () => {
    it('lets the pipeline finish the records it holds, commits them, and a restart reads nothing twice', async () => {
      const { topic, ends } = await createFilledTopic('streams-drain');
      const groupId = uniqueName('streams-drain-group');
      const stream = consume<{ n: number }>({ ...streamOptions(topic, groupId), bufferSize: 20 });
      const first: number[] = [];
      let emitted = 0;
      let completed = false;
      stream
        .pipe(
          tap(() => (emitted += 1)),
          // Slow work: at drain time the records in the mergeMap are emitted and not finished.
          mergeMap((record) => timer(300).pipe(map(() => record))),
          commitAfter(),
        )
        .subscribe({ next: (record) => first.push(record.value.n), complete: () => (completed = true) });
      await eventually(() => emitted >= 30, '30 records emitted', 30_000);
      const finishedAtDrain = first.length;
      const report = (await stream.drain(20_000)) as StreamReport;
      // drain() waited for records that were emitted and not finished when it was called.
      expect(report.recordsFinished).to.be.above(finishedAtDrain);
      expect(completed).to.equal(true);
      expect(report).to.include({ reason: 'drain', timedOut: false, recordsAbandoned: 0 });
      expect(report.recordsFinished).to.equal(report.recordsEmitted);
      expect(first).to.have.length(report.recordsFinished);
      expect(report.recordsEmitted).to.be.below(RECORDS);
      const committed = await committedOffsets(groupId, topic);
      expect(Object.values(committed).reduce((sum, offset) => sum + Math.max(0, offset), 0)).to.equal(
        first.length,
      );
      expect(
        report.committed.map(({ partition, offset }) => [partition, Number(offset)]).sort(),
      ).to.deep.equal(
        Object.entries(committed)
          .filter(([, offset]) => offset > 0)
          .map(([partition, offset]) => [Number(partition), offset])
          .sort(),
      );

      // The next member of the group starts where the drained one committed.
      const restart = consume<{ n: number }>(streamOptions(topic, groupId));
      const rest = await firstValueFrom(
        restart.pipe(
          commitAfter(),
          map((record) => record.value.n),
          take(RECORDS - first.length),
          toArray(),
        ),
      );
      await eventually(() => restart.lastReport !== undefined, 'the restart to stop', 20_000);
      expect(new Set([...first, ...rest]).size).to.equal(RECORDS);
      expect(await committedOffsets(groupId, topic)).to.deep.equal(
        Object.fromEntries(Object.entries(ends).map(([partition, high]) => [partition, Number(high)])),
      );
      await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
    });
  });

  describe('unsubscribing', () => {
    it('reports the records not finished as abandoned, commits none of them, and the next member gets them', async () => {
      const { topic } = await createFilledTopic('streams-abandon');
      const groupId = uniqueName('streams-abandon-group');
      const stream = consume<{ n: number }>({ ...streamOptions(topic, groupId), bufferSize: 10 });
      let emitted = 0;
      // The first 5 records of each partition finish; the others never do, so each partition emits 5 more
      // than its buffer of 10 and then stops.
      const subscription = stream
        .pipe(
          tap(() => (emitted += 1)),
          mergeMap((record) => (Number(record.offset) < 5 ? of(record) : NEVER)),
          commitAfter(),
        )
        .subscribe();
      await eventually(() => emitted >= PARTITIONS * 15, 'both partitions’ buffers full', 30_000);
      subscription.unsubscribe();
      await eventually(() => stream.lastReport !== undefined, 'the report', 20_000);
      const report = stream.lastReport as StreamReport;
      expect(report).to.include({
        reason: 'unsubscribe',
        recordsEmitted: PARTITIONS * 15,
        recordsFinished: PARTITIONS * 5,
        recordsAbandoned: PARTITIONS * 10,
      });
      expect(await committedOffsets(groupId, topic)).to.deep.equal({ 0: 5, 1: 5 });

      const next = consume<{ n: number }>(streamOptions(topic, groupId));
      const firstOffsets = await firstValueFrom(
        next.pipe(
          filter((record) => Number(record.offset) < 15),
          map((record) => `${record.partition}/${record.offset}`),
          take(PARTITIONS * 10),
          toArray(),
        ),
      );
      // The abandoned records: offsets 5 to 14 of each partition.
      const abandoned = [0, 1].flatMap((partition) =>
        Array.from({ length: 10 }, (_, index) => `${partition}/${5 + index}`),
      );
      expect(firstOffsets.sort()).to.deep.equal(abandoned.sort());
      await eventually(() => next.lastReport !== undefined, 'the next member to stop', 20_000);
      await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
    });
  });
});
