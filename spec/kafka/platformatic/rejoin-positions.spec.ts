import { expect } from 'chai';
import { RejoinPositions } from '../../../lib/kafka/platformatic/rejoin-positions';

describe('RejoinPositions', () => {
  it('waits for nothing until a rejoin, and seeks nothing on the offsets event of a first join', () => {
    const rejoin = new RejoinPositions();
    expect(rejoin.awaitingOffsets).to.equal(false);
    expect(rejoin.offsetsSet(['t:0'], new Map([['t:0', 3n]]))).to.deep.equal([]);
  });

  it('after a rejoin, seeks each held partition to the position the stream set, the old one left over after the last record read', () => {
    const rejoin = new RejoinPositions();
    rejoin.read('t:0', 10n);
    rejoin.read('t:0', 11n);
    rejoin.rejoined();
    expect(rejoin.awaitingOffsets).to.equal(true);
    // Read while waiting: the old position's, still in the stream's buffer.
    rejoin.read('t:0', 12n);
    const seeks = rejoin.offsetsSet(
      ['t:0', 't:1', 't:2'],
      new Map([
        ['t:0', 7n],
        ['t:1', 0n],
      ]),
    );
    expect(seeks).to.deep.equal([
      { key: 't:0', target: 7n, leftOverFrom: 13n },
      { key: 't:1', target: 0n },
    ]);
    expect(rejoin.awaitingOffsets).to.equal(false);
  });

  it('answers one offsets event per rejoin', () => {
    const rejoin = new RejoinPositions();
    rejoin.rejoined();
    expect(rejoin.offsetsSet(['t:0'], new Map([['t:0', 1n]]))).to.have.length(1);
    expect(rejoin.offsetsSet(['t:0'], new Map([['t:0', 1n]]))).to.deep.equal([]);
  });

  it('forgets what was read, and any wait, for a new stream', () => {
    const rejoin = new RejoinPositions();
    rejoin.read('t:0', 4n);
    rejoin.rejoined();
    rejoin.clear();
    expect(rejoin.awaitingOffsets).to.equal(false);
    rejoin.rejoined();
    expect(rejoin.offsetsSet(['t:0'], new Map([['t:0', 2n]]))).to.deep.equal([{ key: 't:0', target: 2n }]);
  });
});
