import { expect } from 'chai';
import { SlidingWindow } from '../../lib/inspector/sliding-window';

describe('SlidingWindow', () => {
  describe('.percentiles()', () => {
    it('gives the nearest-rank median and 99th percentile of the values within the window', () => {
      const window = new SlidingWindow(1_000);
      for (let value = 1; value <= 100; value++) window.add(500, value);
      expect(window.percentiles(1_000, [50, 99])).to.deep.equal([50, 99]);
    });

    it('forgets values older than the window', () => {
      const window = new SlidingWindow(1_000);
      window.add(0, 900);
      window.add(600, 10);
      window.add(700, 20);
      expect(window.percentiles(900, [50, 99])).to.deep.equal([20, 900]);
      expect(window.percentiles(1_500, [50, 99])).to.deep.equal([10, 20]);
      expect(window.values(1_500)).to.deep.equal([10, 20]);
    });

    it('gives undefined for an empty window', () => {
      const window = new SlidingWindow(1_000);
      window.add(0, 5);
      expect(window.percentiles(2_000, [50])).to.deep.equal([undefined]);
    });

    it('keeps at most maxSamples values, the newest', () => {
      const window = new SlidingWindow(1_000_000, 3);
      for (let value = 1; value <= 5000; value++) window.add(value, value);
      expect(window.values(5000)).to.deep.equal([4998, 4999, 5000]);
    });
  });
});
