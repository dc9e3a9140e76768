import { expect } from 'chai';
import { runConcurrently } from '../../../lib/kafka/platformatic/run-concurrently';

describe('runConcurrently()', () => {
  it('never runs more than the limit at once, and runs every item', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await runConcurrently([1, 2, 3, 4, 5], 2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      done.push(item);
      running -= 1;
    });
    expect(most).to.equal(2);
    expect([...done].sort()).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('rejects with the first failure once the started items settled, starting no new one', async () => {
    const started: number[] = [];
    const failure = await runConcurrently([1, 2, 3], 1, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('batch 1 failed');
    }).catch((error: Error) => error);
    expect((failure as Error).message).to.equal('batch 1 failed');
    expect(started).to.deep.equal([1]);
  });
});
