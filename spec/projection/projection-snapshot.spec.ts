import { expect } from 'chai';
import { encodeSnapshot, readSnapshot } from '../../lib/projection/projection-snapshot';

const good = { version: 1 as const, sourceTopic: 'orders', offsets: { 0: '12', 1: '0' }, state: { n: 3 } };

function read(value: unknown, partitions = [0, 1]) {
  const buffer =
    value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return readSnapshot(buffer, 'orders', partitions);
}

describe('readSnapshot()', () => {
  it('reads back what encodeSnapshot wrote', () => {
    expect(readSnapshot(Buffer.from(encodeSnapshot(good)), 'orders', [1, 0])).to.deep.equal({
      usable: true,
      snapshot: good,
    });
  });

  const unusable: Array<[string, unknown, string]> = [
    ['a tombstone', null, 'tombstone'],
    ['text that is not JSON', 'garbage {', 'not JSON'],
    ['a JSON array', [1, 2], 'not a JSON object'],
    ['another version', { ...good, version: 2 }, 'version 2'],
    ['a snapshot of another topic', { ...good, sourceTopic: 'payments' }, 'of topic payments'],
    ['no state', { version: 1, sourceTopic: 'orders', offsets: good.offsets }, 'no state'],
    ['offsets that are numbers', { ...good, offsets: { 0: 12, 1: 0 } }, 'not partition → decimal offset'],
    [
      'fewer partitions than the topic has',
      { ...good, offsets: { 0: '12' } },
      'covers partitions 0, but orders has 0, 1',
    ],
  ];
  for (const [what, value, reason] of unusable) {
    it(`finds ${what} unusable, saying why`, () => {
      const reading = read(value);
      expect(reading.usable).to.equal(false);
      expect((reading as { reason: string }).reason).to.contain(reason);
    });
  }
});
