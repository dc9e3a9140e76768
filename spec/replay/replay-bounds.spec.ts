import { expect } from 'chai';
import { resolveReplayBounds } from '../../lib/replay/replay-bounds';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

/** A topic of 3 partitions keeping offsets 10..20, 0..5 and 0..0 (empty). */
function createDriver(): FakeKafkaDriver {
  const driver = new FakeKafkaDriver();
  driver.endOffsets.set('t', [
    { partition: 0, high: '20' },
    { partition: 1, high: '5' },
    { partition: 2, high: '0' },
  ]);
  driver.startOffsets.set('t', [
    { partition: 0, low: '10' },
    { partition: 1, low: '0' },
    { partition: 2, low: '0' },
  ]);
  return driver;
}

const asObject = (map: ReadonlyMap<number, bigint>) =>
  Object.fromEntries([...map].map(([partition, offset]) => [partition, Number(offset)]));

describe('resolveReplayBounds()', () => {
  it("starts 'earliest' at each partition's start offset and ends at its end offset", async () => {
    const bounds = await resolveReplayBounds(
      createDriver(),
      't',
      { kind: 'earliest' },
      new RecordingLogger(),
    );
    expect(asObject(bounds.start)).to.deep.equal({ 0: 10, 1: 0, 2: 0 });
    expect(asObject(bounds.end)).to.deep.equal({ 0: 20, 1: 5, 2: 0 });
  });

  it('starts a timestamp read at the offsets the driver finds for that time', async () => {
    const driver = createDriver();
    const asked: number[] = [];
    driver.offsetsAtTime.set('t', (timestampMs) => {
      asked.push(timestampMs);
      return [
        { partition: 0, offset: '15' },
        { partition: 1, offset: '5' },
        { partition: 2, offset: '0' },
      ];
    });
    const bounds = await resolveReplayBounds(
      driver,
      't',
      { kind: 'timestamp', timestampMs: 42 },
      new RecordingLogger(),
    );
    expect(asked).to.deep.equal([42]);
    expect(asObject(bounds.start)).to.deep.equal({ 0: 15, 1: 5, 2: 0 });
  });

  it('starts partitions not named in the offsets at the earliest', async () => {
    const offsets = new Map([[1, 3n]]);
    const bounds = await resolveReplayBounds(
      createDriver(),
      't',
      { kind: 'offsets', offsets },
      new RecordingLogger(),
    );
    expect(asObject(bounds.start)).to.deep.equal({ 0: 10, 1: 3, 2: 0 });
  });

  it("moves offsets outside a partition's kept range to its edge, with a warning each", async () => {
    const logger = new RecordingLogger();
    const offsets = new Map([
      [0, 2n],
      [1, 99n],
    ]);
    const bounds = await resolveReplayBounds(createDriver(), 't', { kind: 'offsets', offsets }, logger);
    expect(asObject(bounds.start)).to.deep.equal({ 0: 10, 1: 5, 2: 0 });
    expect(
      logger.find('warn', 'is outside').map(({ fields }) => [fields.partition, fields.startsAt]),
    ).to.deep.equal([
      [0, '10'],
      [1, '5'],
    ]);
  });

  it('rejects offsets of a partition the topic does not have with RXK_INVALID_OPTIONS', async () => {
    const offsets = new Map([[7, 0n]]);
    const error = await resolveReplayBounds(
      createDriver(),
      't',
      { kind: 'offsets', offsets },
      new RecordingLogger(),
    ).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
    expect((error as Error).message).to.contain('partition 7 of t, which has partitions 0 to 2');
  });
});
