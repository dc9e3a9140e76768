import { expect } from 'chai';
import { LogThrottle, logThrottled } from '../../lib/pipeline/log-throttle';
import { RecordingLogger } from '../support/recording-logger';

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

describe('LogThrottle with a burst', () => {
  it('admits `burst` lines of a key per interval, then counts the rest for the first line of the next', () => {
    let now = 0;
    const throttle = new LogThrottle(10_000, () => now, 3);
    const admitted = Array.from({ length: 10 }, () => throttle.admit('a'));
    expect(admitted.slice(0, 3)).to.deep.equal([{ suppressed: 0 }, { suppressed: 0 }, { suppressed: 0 }]);
    expect(admitted.slice(3)).to.deep.equal(Array.from({ length: 7 }, () => undefined));
    now = 10_000;
    expect(throttle.admit('a')).to.deep.equal({ suppressed: 7 });
    expect(throttle.admit('a')).to.deep.equal({ suppressed: 0 });
  });
});

describe('logThrottled()', () => {
  it('writes the first line of a key, then after the interval one that counts the lines left out', () => {
    let now = 0;
    const throttle = new LogThrottle(10_000, () => now);
    const logger = new RecordingLogger();
    for (let i = 0; i < 5; i++) logThrottled(throttle, 'k', logger, 'warn', 'bad record', { offset: i });
    now = 10_000;
    logThrottled(throttle, 'k', logger, 'warn', 'bad record', { offset: 5 });
    expect(logger.entries.map((entry) => [entry.level, entry.message, entry.fields])).to.deep.equal([
      ['warn', 'bad record', { offset: 0 }],
      ['warn', 'bad record (and 4 more like it since the last line)', { offset: 5, suppressed: 4 }],
    ]);
  });
});
