import { expect } from 'chai';
import { LogThrottle } from '../../lib/pipeline/log-throttle';

describe('LogThrottle', () => {
  it('admits one line per key per interval, and counts the ones it left out for the next', () => {
    let now = 0;
    const throttle = new LogThrottle(10_000, () => now);
    expect(throttle.admit('a')).to.deep.equal({ suppressed: 0 });
    expect(throttle.admit('b'), 'another key has its own interval').to.deep.equal({ suppressed: 0 });
    for (let i = 0; i < 49; i++) expect(throttle.admit('a')).to.equal(undefined);
    now = 9_999;
    expect(throttle.admit('a')).to.equal(undefined);
    now = 10_000;
    expect(throttle.admit('a')).to.deep.equal({ suppressed: 50 });
    expect(throttle.admit('a')).to.equal(undefined);
  });
});
