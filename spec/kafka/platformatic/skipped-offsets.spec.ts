import { expect } from 'chai';
import { SeekPositions } from '../../../lib/kafka/platformatic/seek-positions';
import { SkippedOffsets } from '../../../lib/kafka/platformatic/skipped-offsets';

/** A partition `t:0` whose records 0..`last` were handed over. */
function handedOverUpTo(last: number): SeekPositions {
  const seeks = new SeekPositions();
  for (let offset = 0; offset <= last; offset += 1) seeks.verdict('t:0', BigInt(offset));
  return seeks;
}

describe('SkippedOffsets', () => {
  it('reports a position past the next offset after the last record handed over (a trailing marker)', () => {
    const found = new SkippedOffsets().find(new Map([['t:0', 3n]]), ['t:0'], handedOverUpTo(1));
    expect(found).to.deep.equal([{ key: 't:0', lastOffset: 2n }]);
  });

  it('reports nothing while the position is right after the last record handed over', () => {
    const found = new SkippedOffsets().find(new Map([['t:0', 2n]]), ['t:0'], handedOverUpTo(1));
    expect(found).to.deep.equal([]);
  });

  it('reports each range once, and a further one when the position moves on again', () => {
    const skipped = new SkippedOffsets();
    const seeks = handedOverUpTo(1);
    expect(skipped.find(new Map([['t:0', 3n]]), ['t:0'], seeks)).to.have.length(1);
    expect(skipped.find(new Map([['t:0', 3n]]), ['t:0'], seeks)).to.deep.equal([]);
    expect(skipped.find(new Map([['t:0', 6n]]), ['t:0'], seeks)).to.deep.equal([
      { key: 't:0', lastOffset: 5n },
    ]);
  });

  it('leaves out a partition with nothing handed over since the last join (its start is not known)', () => {
    const found = new SkippedOffsets().find(new Map([['t:0', 3n]]), ['t:0'], new SeekPositions());
    expect(found).to.deep.equal([]);
  });

  it('leaves out a partition whose seek waits for its first record (a fetch from before it may answer)', () => {
    const seeks = handedOverUpTo(1);
    seeks.seek('t:0', 10n);
    expect(new SkippedOffsets().find(new Map([['t:0', 12n]]), ['t:0'], seeks)).to.deep.equal([]);
  });

  it('looks only at the partitions it is given (those the member holds)', () => {
    const found = new SkippedOffsets().find(new Map([['t:0', 3n]]), ['t:1'], handedOverUpTo(1));
    expect(found).to.deep.equal([]);
  });

  it('reports a range again after clear() (a seek or a join starts positions again)', () => {
    const skipped = new SkippedOffsets();
    const seeks = handedOverUpTo(1);
    skipped.find(new Map([['t:0', 3n]]), ['t:0'], seeks);
    skipped.clear('t:0');
    expect(skipped.find(new Map([['t:0', 3n]]), ['t:0'], seeks)).to.have.length(1);
  });
});
