import { expect } from 'chai';
import { RunStartTimes } from '../../lib/diagnostics/run-start-times';

describe('RunStartTimes', () => {
  it('gives the start of the last run, and of an earlier one still going when the next started', () => {
    const starts = new RunStartTimes<object>();
    const first = {};
    const second = {};
    starts.remember(first, 10);
    starts.remember(second, 20);
    expect(starts.startOf(first)).to.equal(10);
    expect(starts.startOf(second)).to.equal(20);
  });

  it('forgets the last run once it is over, and knows nothing of a run never noted', () => {
    const starts = new RunStartTimes<object>();
    const run = {};
    starts.remember(run, 5);
    starts.forget(run);
    expect(starts.startOf(run)).to.equal(undefined);
    expect(starts.startOf({})).to.equal(undefined);
  });
});
