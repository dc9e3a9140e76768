import { expect } from 'chai';
import { silentLogger } from '../../lib/logger';
import { PartitionPauses } from '../../lib/pipeline/partition-pauses';
import { eventually } from '../reliability/support/eventually';

describe('PartitionPauses', () => {
  function createPauses(now: () => number = Date.now) {
    const calls: string[] = [];
    const pauses = new PartitionPauses({
      pause: (topic, partition) => calls.push(`pause ${topic}/${partition}`),
      resume: (topic, partition) => calls.push(`resume ${topic}/${partition}`),
      logger: silentLogger,
      now,
    });
    return { pauses, calls };
  }

  it('pauses the partition at once and resumes it once the record is due', async () => {
    const { pauses, calls } = createPauses();
    pauses.pauseUntil('orders.retry.200', 1, Date.now() + 20);
    expect(calls).to.deep.equal(['pause orders.retry.200/1']);
    expect(pauses.waiting).to.equal(1);
    await eventually(() => calls.length === 2, 'the resume', 5_000);
    expect(calls[1]).to.equal('resume orders.retry.200/1');
    expect(pauses.waiting).to.equal(0);
  });

  it('resumes a partition once when it is deferred again before its due time', async () => {
    const { pauses, calls } = createPauses();
    pauses.pauseUntil('orders.retry.200', 0, Date.now() + 10_000);
    pauses.pauseUntil('orders.retry.200', 0, Date.now());
    await eventually(() => calls.includes('resume orders.retry.200/0'), 'the resume', 5_000);
    pauses.clear();
    expect(calls.filter((call) => call.startsWith('resume'))).to.have.length(1);
  });

  it('forgets its timers on clear(): nothing is resumed after the consumer stopped', async () => {
    const { pauses, calls } = createPauses();
    pauses.pauseUntil('orders.retry.200', 0, Date.now() + 10);
    pauses.clear();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).to.deep.equal(['pause orders.retry.200/0']);
  });

  it('lists the partitions paused now with their due times and held records, until each resumes', async () => {
    const { pauses, calls } = createPauses();
    const dueAtMs = Date.now() + 20;
    pauses.pauseUntil('orders.retry.200', 1, dueAtMs, { offset: '7', highWatermark: '9' });
    expect(pauses.paused).to.deep.equal([
      { topic: 'orders.retry.200', partition: 1, dueAtMs, held: { offset: '7', highWatermark: '9' } },
    ]);
    await eventually(() => calls.length === 2, 'the resume', 5_000);
    expect(pauses.paused).to.deep.equal([]);
  });

  it('lists nothing after clear()', () => {
    const { pauses } = createPauses();
    pauses.pauseUntil('orders.retry.200', 0, Date.now() + 10_000, { offset: '1', highWatermark: '2' });
    pauses.clear();
    expect(pauses.paused).to.deep.equal([]);
  });
});
