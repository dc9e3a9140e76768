import { expect } from 'chai';
import { OffsetTracker } from '../../lib/offsets/offset-tracker';

describe('OffsetTracker', () => {
  describe('.complete()', () => {
    it('returns each offset when records finish in order', () => {
      const tracker = new OffsetTracker(['10', '11', '12']);
      expect([tracker.complete(0), tracker.complete(1), tracker.complete(2)]).to.deep.equal([
        '10',
        '11',
        '12',
      ]);
      expect(tracker.finishedPrefix).to.equal(3);
    });

    it('returns nothing while an earlier record is unfinished', () => {
      const tracker = new OffsetTracker(['10', '11', '12']);
      expect(tracker.complete(2)).to.equal(undefined);
      expect(tracker.complete(1)).to.equal(undefined);
      expect(tracker.finishedPrefix).to.equal(0);
    });

    it('returns the last offset of the prefix once the gap closes', () => {
      const tracker = new OffsetTracker(['10', '11', '12', '13']);
      tracker.complete(1);
      tracker.complete(2);
      expect(tracker.complete(0)).to.equal('12');
      expect(tracker.finishedPrefix).to.equal(3);
      expect(tracker.complete(3)).to.equal('13');
    });

    it('returns nothing when a record already counted finishes again', () => {
      const tracker = new OffsetTracker(['10', '11']);
      tracker.complete(0);
      expect(tracker.complete(0)).to.equal(undefined);
      expect(tracker.finishedPrefix).to.equal(1);
    });

    it('keeps offsets that are not consecutive numbers (compacted topics)', () => {
      const tracker = new OffsetTracker(['4', '9', '30']);
      tracker.complete(1);
      expect(tracker.complete(0)).to.equal('9');
    });
  });

  describe('.finishedPrefix', () => {
    it('starts at 0', () => {
      expect(new OffsetTracker(['1']).finishedPrefix).to.equal(0);
    });
  });
});
