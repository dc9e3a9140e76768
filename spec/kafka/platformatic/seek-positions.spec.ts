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

    it('drops the stretch read a second time when the seek was applied again after the new position’s fetch', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 1, 2, 3]);
      positions.seek('t:0', 1n);
      // The stale fetch's records are read after the new position's fetch answered: the seek applied again
      // sends the stream back to 1, and it reads 1 to 5 twice.
      expect(verdicts(positions, [4, 5, 1, 2, 3, 4, 5])).to.deep.equal([
        '4:drop-and-seek-again',
        '5:drop-and-seek-again',
        '1:deliver',
        '2:deliver',
        '3:deliver',
        '4:deliver',
        '5:deliver',
      ]);
      expect(verdicts(positions, [1, 2, 3, 4, 5, 6])).to.deep.equal([
        '1:drop',
        '2:drop',
        '3:drop',
        '4:drop',
        '5:drop',
        '6:deliver',
      ]);
    });

    it('drops the stretch read a second time when the seek was made after its new position’s records were fetched', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0]);
      // A paused partition's resume: 1 and 2 were fetched again already; the seek sends the stream back to 1.
      positions.seek('t:0', 1n, 2n);
      expect(verdicts(positions, [1, 2, 1, 2, 3])).to.deep.equal([
        '1:deliver',
        '2:deliver',
        '1:drop',
        '2:drop',
        '3:deliver',
      ]);
    });

    it('hands over a record read again with no seek since the join (the stream restarted at a committed offset)', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 1, 2]);
      expect(verdicts(positions, [1, 2, 3])).to.deep.equal(['1:deliver', '2:deliver', '3:deliver']);
    });

    it('takes a record past the target but before the old position as the new position (a compacted target)', () => {
      const positions = new SeekPositions();
      verdicts(positions, [0, 5, 9]);
      positions.seek('t:0', 1n);
      expect(verdicts(positions, [5, 9, 10])).to.deep.equal(['5:deliver', '9:deliver', '10:deliver']);
    });
  });

  context(
    'when told where the old position’s records begin (the stream read past what it handed over)',
    () => {
      it('takes a seek past every record handed over as a rewind: the records from there on are left over', () => {
        const positions = new SeekPositions();
        verdicts(positions, [0]);
        // Records 1 and 2 were read and dropped (a paused partition): the stream's position is 3.
        positions.seek('t:0', 1n, 2n);
        expect(verdicts(positions, [3, 4])).to.deep.equal(['3:drop-and-seek-again', '4:drop-and-seek-again']);
        expect(positions.targetOf('t:0')).to.equal(1n);
        expect(verdicts(positions, [1, 2, 3])).to.deep.equal(['1:deliver', '2:deliver', '3:deliver']);
      });

      it('ignores a boundary not past the target', () => {
        const positions = new SeekPositions();
        verdicts(positions, [0, 1, 2]);
        positions.seek('t:0', 5n, 5n);
        expect(verdicts(positions, [3, 5])).to.deep.equal(['3:drop', '5:deliver']);
      });
    },
  );

  it('forgets one partition’s seek and position (a partition taken away), keeping the others’', () => {
    const positions = new SeekPositions();
    verdicts(positions, [0, 1, 2]);
    positions.seek('t:0', 10n);
    positions.seek('t:1', 10n);
    positions.forget('t:0');
    expect(positions.lastHandedOver('t:0')).to.equal(undefined);
    expect(verdicts(positions, [0])).to.deep.equal(['0:deliver']);
    expect(positions.verdict('t:1', 0n)).to.equal('drop');
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
