import { expect } from 'chai';
import { PartitionProgressBook } from '../../lib/offsets/partition-progress';

describe('PartitionProgressBook', () => {
  let now = 1_000;
  const book = () => new PartitionProgressBook(() => now);

  it('counts a batch in flight from its start, and its finished prefix out of it', () => {
    const progress = book();
    progress.batchStarted('orders', 0, 3, '13');
    expect(progress.sample('orders', 0)).to.deep.include({
      inFlight: 3,
      inFlightSince: 1_000,
      highWatermark: '13',
    });
    now = 1_250;
    progress.recordsFinished('orders', 0, 2, '11');
    expect(progress.sample('orders', 0)).to.deep.include({ inFlight: 1, finishedOffset: '11', lag: 1 });
    progress.recordsFinished('orders', 0, 1, '12');
    const sample = progress.sample('orders', 0);
    expect(sample).to.deep.include({ inFlight: 0, finishedOffset: '12', lag: 0 });
    expect(sample).not.to.have.property('inFlightSince');
  });

  it('takes what a batch left unfinished out of flight when it returns, keeping its error', () => {
    const progress = book();
    progress.batchStarted('orders', 1, 5, '105');
    progress.recordsFinished('orders', 1, 2, '101');
    progress.batchEnded(
      'orders',
      1,
      Object.assign(new Error('rebalancing'), { name: 'KafkaJSProtocolError' }),
    );
    expect(progress.sample('orders', 1)).to.deep.include({
      inFlight: 0,
      finishedOffset: '101',
      lag: 3,
      lastError: { name: 'KafkaJSProtocolError', message: 'rebalancing' },
    });
  });

  it('counts a batch nobody reports finishes for (a reply consumer) as done when it returns', () => {
    const progress = book();
    progress.batchStarted('orders.reply', 0, 4, '4');
    progress.batchEnded('orders.reply', 0);
    progress.committed('orders.reply', 0, '4');
    expect(progress.sample('orders.reply', 0)).to.deep.include({ inFlight: 0, committedOffset: '4', lag: 0 });
  });

  it('moves its version on every change, so a sampler can skip a partition nobody touched', () => {
    const progress = book();
    const before = progress.versionOf('orders', 2);
    progress.committed('orders', 2, '7');
    const after = progress.versionOf('orders', 2);
    expect(after).to.be.greaterThan(before);
    expect(progress.versionOf('orders', 2)).to.equal(after);
    progress.forget('orders', 2);
    expect(progress.versionOf('orders', 2)).to.equal(0);
  });
});
