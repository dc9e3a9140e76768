import { expect } from 'chai';
import { SeekPositions } from '../../../lib/kafka/platformatic/seek-positions';

function verdicts(positions: SeekPositions, offsets: number[]): string[] {
  return offsets.map((offset) => `${offset}:${positions.verdict('t:0', BigInt(offset))}`);
}

describe('SeekPositions', () => {
  it('delivers everything while no seek is pending', () => {
    expect(verdicts(new SeekPositions(), [0, 1, 2])).to.deep.equal(['0:deliver', '1:deliver', '2:deliver']);
  });

  context('when seeking forward', () => {
    it('drops the records below the target still on their way, then delivers from it', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 1]);
      positions.seek('t:0', 10n);
      expect(verdicts(positions, [2, 3, 10, 11])).to.deep.equal([
        '2:drop',
        '3:drop',
        '10:deliver',
        '11:deliver',
      ]);
      expect(positions.targetOf('t:0')).to.equal(undefined);
    });
  });

  context('when rewinding to a record already handed over', () => {
    it('drops the old position’s records and asks for the seek again, then delivers from the target', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 1, 2, 3]);
      positions.seek('t:0', 1n);
      expect(verdicts(positions, [4, 5])).to.deep.equal(['4:drop-and-seek-again', '5:drop-and-seek-again']);
      expect(positions.targetOf('t:0')).to.equal(1n);
      expect(verdicts(positions, [1, 2, 3, 4])).to.deep.equal([
        '1:deliver',
        '2:deliver',
        '3:deliver',
        '4:deliver',
      ]);
    });

    it('takes a record past the target but before the old position as the new position (a compacted target)', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 5, 9]);
      positions.seek('t:0', 1n);
      expect(verdicts(positions, [5, 9, 10])).to.deep.equal(['5:deliver', '9:deliver', '10:deliver']);
    });
  });

  it('keeps partitions apart', () => {
    const positions = new SeekPositions();
    positions.seek('t:1', 100n);
    expect(verdicts(positions, [0])).to.deep.equal(['0:deliver']);
    expect(positions.verdict('t:1', 0n)).to.equal('drop');
  });

  it('forgets seeks and positions on clear()', () => {
    const positions = new SeekPositions();
    positions.seek('t:0', 100n);
    positions.clear();
    expect(verdicts(positions, [0])).to.deep.equal(['0:deliver']);
  });
});
