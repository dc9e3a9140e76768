import { expect } from 'chai';
import { map, mergeMap, timer } from 'rxjs';
import { commitAfter, consume, silentLogger, type RecordStream } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';

const RECORDS = 8_000;
const PARTITIONS = 4;

describe('consume() across a rebalance (integration)', function () {
  this.timeout(90_000);

  it('hands partitions to a second member without losing or repeating a record', async () => {
    const { brokers } = await useTestBroker();
    const [topic] = await createTopics([
      { topic: uniqueName('streams-rebalance'), numPartitions: PARTITIONS },
    ]);
    const groupId = uniqueName('streams-rebalance-group');
    await produceRecords(
      topic,
      Array.from({ length: RECORDS }, (_, n) => ({ key: `k${n % 50}`, value: String(n) })),
    );

    const seen = new Map<string, number>();
    const received = { first: 0, second: 0 };
    const join = (member: keyof typeof received): RecordStream => {
      const stream = consume({
        client: { brokers: [...brokers], clientId: member },
        groupId,
        topics: [topic],
        fromBeginning: true,
        bufferSize: 50,
        consumer: { maxWaitTimeInMs: 200 },
        logger: silentLogger,
      });
      stream
        .pipe(
          // Slow enough that the second member joins while the first still has records in flight.
          mergeMap((record) => timer(Math.random() * 30).pipe(map(() => record)), 16),
          commitAfter(),
        )
        .subscribe((record) => {
          received[member] += 1;
          const place = `${record.partition}/${record.offset}`;
          seen.set(place, (seen.get(place) ?? 0) + 1);
        });
      return stream;
    };
    const first = join('first');
    await eventually(() => seen.size >= 1_000, 'the first member’s first 1,000 records', 30_000);
    const second = join('second');
    await eventually(
      () => seen.size === RECORDS,
      'every record',
      60_000,
      () => `${seen.size} seen`,
    );
    const reports = [await first.drain(), await second.drain()];

    expect(received.second, 'records the second member got').to.be.above(0);
    const repeated = [...seen].filter(([, times]) => times > 1).map(([place]) => place);
    expect(repeated).to.deep.equal([]);
    expect(reports.map((report) => report?.recordsAbandoned)).to.deep.equal([0, 0]);
    const [committed] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    expect(
      Object.fromEntries(committed.partitions.map(({ partition, offset }) => [partition, offset])),
    ).to.deep.equal(Object.fromEntries(ends.map(({ partition, high }) => [partition, high])));
    await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
  });
});
