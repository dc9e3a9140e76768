import { expect } from 'chai';
import { countFailingOnce, failsOnce, toEventKey } from '../../bench/bench-event';

describe('bench events', () => {
  describe('failsOnce()', () => {
    it('picks one event in each hundred', () => {
      for (let block = 0; block < 250; block++) {
        const ids = Array.from({ length: 100 }, (_, index) => block * 100 + index);
        expect(ids.filter(failsOnce), `ids ${block * 100}…`).to.have.length(1);
      }
    });

    it('spreads the failing events over 100 of 1,000 keys', () => {
      const keys = new Set<string>();
      for (let id = 0; id < 250_000; id++) if (failsOnce(id)) keys.add(toEventKey(id, 1_000));
      expect(keys.size).to.equal(100);
    });
  });

  describe('countFailingOnce()', () => {
    it('counts the failing events among the first N', () => {
      expect(countFailingOnce(250_000)).to.equal(2_500);
      expect(countFailingOnce(1)).to.equal(1);
      expect(countFailingOnce(0)).to.equal(0);
    });
  });
});
