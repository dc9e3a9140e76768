import { expect } from 'chai';
import { CommitHolds } from '../../lib/offsets/commit-holds';

describe('CommitHolds', () => {
  it('holds a partition at its lowest open hold, as each moves up and is released', () => {
    const holds = new CommitHolds();
    expect(holds.floorOf('t', 0)).to.equal(undefined);
    const early = holds.open('t', 0, '3');
    const late = holds.open('t', 0, '10');
    holds.open('t', 1, '1');
    expect(holds.floorOf('t', 0)).to.equal('3');
    early.moveTo('5');
    expect(holds.floorOf('t', 0)).to.equal('5');
    early.release();
    expect(holds.floorOf('t', 0)).to.equal('10');
    late.release();
    expect(holds.floorOf('t', 0)).to.equal(undefined);
    expect(holds.floorOf('t', 1)).to.equal('1');
  });

  it('compares offsets as numbers, past 2^53 too', () => {
    const holds = new CommitHolds();
    holds.open('t', 0, '9');
    holds.open('t', 0, '10');
    holds.open('t', 1, '9007199254740993');
    holds.open('t', 1, '9007199254740992');
    expect(holds.floorOf('t', 0)).to.equal('9');
    expect(holds.floorOf('t', 1)).to.equal('9007199254740992');
  });

  it('on a rewind, voids the holds at or above it and holds the partition there until a batch from there arrives', () => {
    const holds = new CommitHolds();
    const below = holds.open('t', 0, '2');
    const above = holds.open('t', 0, '8');
    holds.rewind('t', 0, '6');
    expect(above.cancelled).to.equal(true);
    expect(below.cancelled).to.equal(false);
    below.release();
    expect(holds.floorOf('t', 0)).to.equal('6');
    holds.arrived('t', 0, '7');
    expect(holds.floorOf('t', 0), 'a batch past the rewind: not the redelivery').to.equal('6');
    holds.arrived('t', 0, '6');
    expect(holds.floorOf('t', 0)).to.equal(undefined);
  });

  it('voids everything on clear() (a new group generation)', () => {
    const holds = new CommitHolds();
    const hold = holds.open('t', 0, '4');
    holds.rewind('t', 1, '2');
    holds.clear();
    expect(hold.cancelled).to.equal(true);
    hold.moveTo('9');
    expect(holds.floorOf('t', 0)).to.equal(undefined);
    expect(holds.floorOf('t', 1)).to.equal(undefined);
  });
});
