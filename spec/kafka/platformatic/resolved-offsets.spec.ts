import { expect } from 'chai';
import { ResolvedOffsets } from '../../../lib/kafka/platformatic/resolved-offsets';

describe('ResolvedOffsets', () => {
  it('reports the next offset to read after each resolved record until Kafka took it', () => {
    const offsets = new ResolvedOffsets();
    offsets.resolve('t', 0, '4');
    offsets.resolve('t', 0, '2');
    offsets.resolve('t', 1, '9');
    expect(offsets.uncommitted()).to.deep.equal({
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '5' },
            { partition: 1, offset: '10' },
          ],
        },
      ],
    });
    offsets.committed([{ topic: 't', partition: 0, offset: '5' }]);
    expect(offsets.uncommitted()).to.deep.equal({
      topics: [{ topic: 't', partitions: [{ partition: 1, offset: '10' }] }],
    });
    expect(offsets.lastResolved('t', 0)).to.equal(4n);
  });

  it('names a seek’s offset in the next commit, also below what was resolved', () => {
    const offsets = new ResolvedOffsets();
    offsets.resolve('t', 0, '9');
    offsets.committed([{ topic: 't', partition: 0, offset: '10' }]);
    offsets.seek('t', 0, '3');
    expect(offsets.uncommitted()).to.deep.equal({
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: '3' }] }],
    });
  });

  it('ignores a resolve from a batch read before the last clear() (a join or a restart)', () => {
    const offsets = new ResolvedOffsets();
    const before = offsets.epoch;
    offsets.resolve('t', 0, '4', before);
    offsets.clear();
    offsets.resolve('t', 0, '934', before);
    expect(offsets.uncommitted()).to.deep.equal({ topics: [] });
    offsets.resolve('t', 0, '2239', offsets.epoch);
    expect(offsets.uncommitted()).to.deep.equal({
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: '2240' }] }],
    });
  });
});
