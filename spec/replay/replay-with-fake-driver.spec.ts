import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { replay, type Replay, type ReplayRecord } from '../../lib';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

/** A fake cluster whose topic `t` has one partition ending at `end`. */
function createDriver(end: number): FakeKafkaDriver {
  const driver = new FakeKafkaDriver();
  driver.endOffsets.set('t', [{ partition: 0, high: String(end) }]);
  return driver;
}

async function assigned(source: Replay): Promise<void> {
  for (let turn = 0; source.connection?.state !== 'assigned'; turn += 1) {
    if (turn > 200) throw new Error(`the replay's connection is ${source.connection?.state}, not assigned`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const values = (count: number) => Array.from({ length: count }, (_, n) => ({ value: JSON.stringify({ n }) }));
const offsets = (records: readonly ReplayRecord[]) => records.map(({ offset }) => Number(offset));

describe('replay() on the fake driver', () => {
  it("emits nothing at or past the end offsets captured at start in 'caught-up' mode, then completes", async () => {
    const driver = createDriver(3);
    const source = replay('t', { driver, logger: new RecordingLogger() });
    let caughtUp = 0;
    source.caughtUp$.subscribe(() => (caughtUp += 1));
    const records = lastValueFrom(source.pipe(toArray()));
    await assigned(source);

    await driver.consumer.deliver('t', 0, values(5)); // two written after the read began

    expect(offsets(await records)).to.deep.equal([0, 1, 2]);
    expect((await records)[0]).to.include({ topic: 't', partition: 0, offset: '0' });
    expect((await records)[0].value).to.deep.equal({ n: 0 });
    expect(caughtUp).to.equal(1);
  });

  it('seeks each assigned partition to its start, and skips records a fetch brought from before it', async () => {
    const driver = createDriver(5);
    const source = replay('t', { driver, logger: new RecordingLogger(), from: { offsets: { 0: 2 } } });
    const records = lastValueFrom(source.pipe(toArray()));
    await assigned(source);

    await driver.consumer.deliver('t', 0, values(5));

    expect(driver.consumer.seeks).to.deep.equal([{ topic: 't', partition: 0, offset: '2' }]);
    expect(offsets(await records)).to.deep.equal([2, 3, 4]);
  });

  it('seeks again to the next offset it needs after a rebalance, so nothing is emitted twice', async () => {
    const driver = createDriver(2);
    const source = replay('t', { driver, logger: new RecordingLogger(), until: 'live' });
    const records: ReplayRecord[] = [];
    const subscription = source.subscribe((record) => records.push(record));
    await assigned(source);
    await driver.consumer.deliver('t', 0, values(3));

    driver.consumer.rebalance();

    expect(driver.consumer.seeks.map(({ offset }) => offset)).to.deep.equal(['0', '3']);
    expect(offsets(records)).to.deep.equal([0, 1, 2]);
    subscription.unsubscribe();
    await source.close();
  });

  it('closes its connection and deletes its group when unsubscribed, and commits nothing', async () => {
    const driver = createDriver(10);
    const source = replay('t', { driver, logger: new RecordingLogger(), groupIdPrefix: 'mine' });
    const subscription = source.subscribe();
    await assigned(source);
    await driver.consumer.deliver('t', 0, values(4));

    subscription.unsubscribe();
    await source.close();

    expect(driver.deletedGroups).to.deep.equal([source.groupId]);
    expect(source.groupId).to.match(/^mine-/);
    expect(driver.consumer.settings.groupId).to.equal(source.groupId);
    expect(driver.consumer.commits).to.deep.equal([]);
    expect(source.connection?.state).to.equal('stopped');
  });

  it('joins no group where the driver reads without one, and deletes none when it ends', async () => {
    const driver = createDriver(3).readWithoutGroup();
    const source = replay('t', { driver, logger: new RecordingLogger(), groupIdPrefix: 'mine' });
    const records = lastValueFrom(source.pipe(toArray()));
    await assigned(source);

    await driver.consumer.deliver('t', 0, values(3));
    expect(offsets(await records)).to.deep.equal([0, 1, 2]);
    await source.close();

    expect(driver.readers).to.have.length(1);
    expect(driver.consumers).to.deep.equal(driver.readers);
    expect(source.groupId).to.equal(undefined);
    expect(driver.deletedGroups).to.deep.equal([]);
    expect(driver.consumer.seeks).to.deep.equal([{ topic: 't', partition: 0, offset: '0' }]);
    expect(driver.consumer.commits).to.deep.equal([]);
  });

  it('needs no group at all when there is nothing to read before the end', async () => {
    const driver = createDriver(0);
    const source = replay('t', { driver, logger: new RecordingLogger() });

    expect(await lastValueFrom(source.pipe(toArray()))).to.deep.equal([]);
    await source.close();

    expect(driver.consumers).to.deep.equal([]);
    expect(driver.deletedGroups).to.deep.equal([]);
  });
});
