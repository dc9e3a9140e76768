import { expect } from 'chai';
import { projection, type Projection } from '../../lib';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const sum = (state: number, record: { value: unknown }) => state + (record.value as { n: number }).n;

async function following(view: Projection<number>): Promise<void> {
  for (let turn = 0; view.connection?.state !== 'assigned'; turn += 1) {
    if (turn > 200) throw new Error(`the projection's connection is ${view.connection?.state}, not assigned`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const values = (...ns: number[]) => ns.map((n) => ({ value: JSON.stringify({ n }) }));

describe('projection() on the fake driver', () => {
  it('writes a snapshot every N applied records and one at close(), each with the offsets it covers', async () => {
    const driver = new FakeKafkaDriver();
    const view = projection('t', sum, 0, {
      driver,
      logger: new RecordingLogger(),
      name: 'totals',
      snapshots: { topic: 'snap', every: 2 },
    });
    await following(view);

    await driver.consumer.deliver('t', 0, values(1, 2, 3, 4, 5));
    await view.close();

    expect(driver.createdTopics).to.deep.equal([{ topic: 'snap', configs: { 'cleanup.policy': 'compact' } }]);
    const snapshots = driver.producer.records.filter(({ topic }) => topic === 'snap');
    expect(snapshots.map(({ record }) => record.key)).to.deep.equal(['totals', 'totals', 'totals']);
    expect(snapshots.map(({ record }) => JSON.parse(String(record.value)))).to.deep.equal([
      { version: 1, sourceTopic: 't', offsets: { 0: '2' }, state: 3 },
      { version: 1, sourceTopic: 't', offsets: { 0: '4' }, state: 10 },
      { version: 1, sourceTopic: 't', offsets: { 0: '5' }, state: 15 },
    ]);
    expect(view.snapshotsWritten).to.equal(3);
  });

  it('writes no snapshot at close() when nothing was applied since the last one', async () => {
    const driver = new FakeKafkaDriver();
    const view = projection('t', sum, 0, {
      driver,
      logger: new RecordingLogger(),
      name: 'totals',
      snapshots: { topic: 'snap', every: 2 },
    });
    await following(view);
    await driver.consumer.deliver('t', 0, values(1, 2));

    await view.close();

    expect(driver.producer.records.filter(({ topic }) => topic === 'snap')).to.have.length(1);
  });

  it('keeps the state of the last good record and writes no snapshot after its reducer threw', async () => {
    const driver = new FakeKafkaDriver();
    const logger = new RecordingLogger();
    const view = projection(
      't',
      (state: number, record) => {
        if ((record.value as { n: number }).n < 0) throw new Error('negative');
        return sum(state, record);
      },
      0,
      { driver, logger, name: 'totals', snapshots: { topic: 'snap', every: 100 } },
    );
    await following(view);
    let failure: unknown;
    view.state$.subscribe({ error: (error: unknown) => (failure = error) });

    await driver.consumer.deliver('t', 0, values(1, 2, -1, 4));
    const waiting = await view.waitFor([{ partition: 0, offset: 3 }]).catch((error: unknown) => error);
    await view.close();

    expect(failure).to.have.property('code', 'RXK_REDUCER_FAILED');
    expect(failure).to.have.nested.property('context.partition', 0);
    expect(waiting).to.equal(failure);
    expect(view.state).to.equal(3);
    expect(view.applied).to.equal(2);
    expect(driver.producer.records.filter(({ topic }) => topic === 'snap')).to.deep.equal([]);
    expect(logger.find('error', 'projection totals of t failed')).to.have.length(1);
  });
});
