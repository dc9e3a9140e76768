import { expect } from 'chai';
import type { RetryStage, RetryTopicRoutes } from '../../lib/pipeline/retry-topic-routes';
import { countHeld, toRetryWaiting } from '../../lib/pipeline/retry-waiting';

/** Two retry topics of `orders`, as RetryTopicRoutes lists them (only what toRetryWaiting reads). */
const routes: Pick<RetryTopicRoutes, 'topics' | 'stagesOf'> = {
  topics: ['orders.retry.1000', 'orders.retry.10000'],
  stagesOf: (topic) =>
    topic.startsWith('orders.retry.')
      ? [{ plan: { source: 'orders' }, index: 0 } as unknown as RetryStage]
      : undefined,
};

describe('toRetryWaiting()', () => {
  it('lists every retry topic with nothing waiting when no partition is paused', () => {
    expect(toRetryWaiting(routes, [])).to.deep.equal([
      { topic: 'orders.retry.1000', source: 'orders', waiting: 0, partitions: [] },
      { topic: 'orders.retry.10000', source: 'orders', waiting: 0, partitions: [] },
    ]);
  });

  it('sums the paused partitions of a topic and takes the earliest due time as the oldest', () => {
    const waiting = toRetryWaiting(routes, [
      {
        topic: 'orders.retry.1000',
        partition: 2,
        dueAtMs: 9_000,
        held: { offset: '40', highWatermark: '41' },
      },
      {
        topic: 'orders.retry.1000',
        partition: 0,
        dueAtMs: 5_000,
        held: { offset: '10', highWatermark: '13' },
      },
    ]);
    expect(waiting[0]).to.deep.equal({
      topic: 'orders.retry.1000',
      source: 'orders',
      waiting: 4,
      oldestDueAt: 5_000,
      partitions: [
        { partition: 0, waiting: 3, offset: '10', dueAt: 5_000 },
        { partition: 2, waiting: 1, offset: '40', dueAt: 9_000 },
      ],
    });
    expect(waiting[1]).to.deep.include({ topic: 'orders.retry.10000', waiting: 0, partitions: [] });
  });

  it('counts one record for a pause that did not name its record', () => {
    const [waiting] = toRetryWaiting(routes, [{ topic: 'orders.retry.1000', partition: 1, dueAtMs: 7_000 }]);
    expect(waiting).to.deep.equal({
      topic: 'orders.retry.1000',
      source: 'orders',
      waiting: 1,
      oldestDueAt: 7_000,
      partitions: [{ partition: 1, waiting: 1, dueAt: 7_000 }],
    });
  });
});

describe('countHeld()', () => {
  it('counts the head record and every one after it up to the end offset', () => {
    expect(countHeld({ offset: '10', highWatermark: '15' })).to.equal(5);
  });

  it('counts at least the head record when the end offset is behind it', () => {
    expect(countHeld({ offset: '10', highWatermark: '10' })).to.equal(1);
  });
});
